/**
 * The files a block wrote in its latest run (`GET /runs/{id}/artifacts`), for
 * the node panel: name, size, open in JupyterLab, download, and images
 * previewed inline (read through the contents API).
 */
import * as React from 'react';

import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { describeError, requestAPI } from './handler';
import { DagModel } from './model';
import { IDagViewServices } from './services';

export interface IArtifact {
  run_id: string;
  block_id: string | null;
  path: string;
  name: string;
  size: number;
  sha256: string | null;
  mime: string | null;
  change: 'created' | 'modified';
  note?: string | null;
  created_at: string;
}

/**
 * Images up to this size are previewed inline (bytes).
 */
export const PREVIEW_LIMIT = 4 * 1024 * 1024;

const IMAGE_TYPES = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/svg+xml'
]);

/**
 * A size in bytes for people: `512 B`, `1.5 KB`, `12 MB`.
 */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown =
    unit === 0 || value >= 10 ? Math.round(value).toString() : value.toFixed(1);
  return `${shown} ${units[unit]}`;
}

/**
 * Whether the artifact is an image small enough to preview inline.
 */
export function isPreviewable(artifact: IArtifact): boolean {
  return (
    !!artifact.mime &&
    IMAGE_TYPES.has(artifact.mime) &&
    artifact.size <= PREVIEW_LIMIT
  );
}

/**
 * The run whose artifacts a block shows: the followed run when the block
 * executed there, else the block's most recent run.
 */
export function artifactRunOf(
  blockId: string,
  followed: {
    id: string;
    blocks?: { block_id: string; started_at?: string | null }[];
  } | null,
  lastRunId: string | null | undefined
): string | null {
  const mine = followed?.blocks?.find(b => b.block_id === blockId);
  if (followed && mine?.started_at) {
    return followed.id;
  }
  return lastRunId ?? null;
}

/**
 * The `files/` URL of a contents path (a download with the browser's session).
 */
export function fileUrl(baseUrl: string, path: string): string {
  return URLExt.join(baseUrl, 'files', URLExt.encodeParts(path));
}

async function previewOf(
  artifact: IArtifact,
  settings: ServerConnection.ISettings
): Promise<string> {
  const url =
    URLExt.join(
      settings.baseUrl,
      'api/contents',
      URLExt.encodeParts(artifact.path)
    ) + '?type=file&format=base64&content=1';
  const response = await ServerConnection.makeRequest(url, {}, settings);
  if (!response.ok) {
    throw new Error(`HTTP ${response.status}`);
  }
  const body = (await response.json()) as { content: string };
  return `data:${artifact.mime};base64,${body.content.replace(/\s/g, '')}`;
}

function Preview(props: {
  artifact: IArtifact;
  settings: ServerConnection.ISettings;
}): JSX.Element | null {
  const { artifact, settings } = props;
  const [src, setSrc] = React.useState<string | null>(null);
  React.useEffect(() => {
    let live = true;
    setSrc(null);
    previewOf(artifact, settings)
      .then(url => live && setSrc(url))
      .catch(() => live && setSrc(null));
    return () => {
      live = false;
    };
  }, [artifact.path, artifact.sha256]);
  if (!src) {
    return null;
  }
  return (
    <img
      className="jp-NotebookDag-artifactPreview"
      data-testid="dag-artifact-preview"
      src={src}
      alt={artifact.name}
    />
  );
}

/**
 * The artifacts section of a block's node panel (nothing when it has none).
 */
export function BlockArtifacts(props: {
  model: DagModel;
  blockId: string;
  lastRunId: string | null | undefined;
  services: IDagViewServices;
}): JSX.Element | null {
  const { model, blockId, services } = props;
  const followed = model.followedRun;
  const runId = artifactRunOf(blockId, followed, props.lastRunId);
  // artifacts are stored when the run ends: ask again once it did
  const key = `${runId}:${followed?.id === runId ? followed?.status : ''}`;
  const [artifacts, setArtifacts] = React.useState<IArtifact[]>([]);
  const [error, setError] = React.useState<string | null>(null);
  const settings = services.serverSettings ?? ServerConnection.makeSettings();
  React.useEffect(() => {
    let live = true;
    setArtifacts([]);
    setError(null);
    if (!runId) {
      return;
    }
    requestAPI<{ artifacts: IArtifact[] }>(
      `runs/${encodeURIComponent(runId)}/artifacts?block_id=${encodeURIComponent(blockId)}`,
      {},
      settings
    )
      .then(body => live && setArtifacts(body.artifacts))
      .catch(e => live && setError(describeError(e)));
    return () => {
      live = false;
    };
  }, [key, blockId]);
  if (!artifacts.length && !error) {
    return null;
  }
  return (
    <>
      <div
        className="jp-NotebookDag-panelSection"
        role="heading"
        aria-level={3}
      >
        Files written
      </div>
      {error && <div className="jp-NotebookDag-muted">{error}</div>}
      <ul className="jp-NotebookDag-artifacts" data-testid="dag-artifacts">
        {artifacts.map(a => (
          <li key={a.path} data-testid="dag-artifact" data-path={a.path}>
            <div className="jp-NotebookDag-artifactRow">
              <button
                className="jp-NotebookDag-link"
                title={`Open ${a.path} in JupyterLab`}
                onClick={() => void services.openFile?.(a.path)}
                disabled={!services.openFile}
              >
                {a.name}
              </button>
              <span className="jp-NotebookDag-muted">
                {' '}
                {formatBytes(a.size)}
                {a.change === 'modified' ? ', changed' : ''}
              </span>{' '}
              <a
                className="jp-NotebookDag-link"
                href={fileUrl(settings.baseUrl, a.path)}
                download={a.name}
                title={a.sha256 ? `sha256 ${a.sha256}` : a.path}
              >
                Download
              </a>
            </div>
            {isPreviewable(a) && <Preview artifact={a} settings={settings} />}
          </li>
        ))}
      </ul>
    </>
  );
}
