/**
 * The datasets panel: upload (with progress), search and tag filter, preview,
 * quick-profile summary and the full report opened in a JupyterLab tab.
 *
 * Mount it with `<DatasetsPanel projectId={...} onOpenReport={...} />`, or
 * as a Lumino widget with `DatasetsWidget` (./widgets.tsx).
 */
import { ISignal } from '@lumino/signaling';
import * as React from 'react';

import type { IBlockInserter, IInsertedBlock } from '../blockinsert';
import { DatasetsApi } from './api';
import {
  IUploadState,
  PreviewTable,
  ProfileSummary,
  S,
  UploadProgress
} from './components';
import {
  asDatasetEvent,
  describeDatasetError,
  formatBytes,
  formatCount,
  qualityColor,
  uploadFraction
} from './format';
import { ImportsApi } from './importapi';
import { ImportSection } from './ImportSection';
import { DatasetInsights } from './insights';
import { AnalysisSection, ChartsGallery } from './InsightsSections';
import {
  IDataset,
  IDatasetEvent,
  IDatasetVersion,
  IPreview,
  IProfileRecord,
  IReportRecord
} from './types';

export interface IDatasetsPanelProps {
  /** Datasets of this project (and uploads go to it); null: all datasets. */
  projectId: string | null;
  /** The API client (tests pass a fake). */
  api?: DatasetsApi;
  /** Open a finished report; by default in a new browser tab. */
  onOpenReport?: (url: string, title: string) => void;
  /** Emissions of `app.serviceManager.events.stream`, to refresh live. */
  events?: ISignal<unknown, { [key: string]: unknown }>;
  /** Milliseconds between status polls of a running report. */
  pollInterval?: number;
  /**
   * Adds analysis and chart code to projects ("Add to project"); without
   * it the button is hidden.
   */
  inserter?: IBlockInserter | null;
  /** Called after "Add to project" added a block. */
  onBlockAdded?: (result: IInsertedBlock, title: string) => void;
  /** The dataset imports client (tests pass a fake). */
  importsApi?: ImportsApi;
}

type Tab = 'preview' | 'profile' | 'analysis' | 'charts' | 'versions';

const TABS: Tab[] = ['preview', 'profile', 'analysis', 'charts', 'versions'];

function useRefresh(): [number, () => void] {
  const [tick, setTick] = React.useState(0);
  return [tick, React.useCallback(() => setTick(t => t + 1), [])];
}

export function DatasetsPanel(props: IDatasetsPanelProps): JSX.Element {
  const api = React.useMemo(() => props.api ?? new DatasetsApi(), [props.api]);
  const importsApi = React.useMemo(
    () => props.importsApi ?? new ImportsApi(api.settings),
    [api, props.importsApi]
  );
  const [query, setQuery] = React.useState('');
  const [tag, setTag] = React.useState('');
  const [datasets, setDatasets] = React.useState<IDataset[]>([]);
  const [total, setTotal] = React.useState(0);
  const [error, setError] = React.useState('');
  const [uploads, setUploads] = React.useState<IUploadState[]>([]);
  const [selectedId, setSelectedId] = React.useState<string | null>(null);
  const [tick, refresh] = useRefresh();

  React.useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      api
        .list({
          q: query,
          tag,
          project_id: props.projectId,
          sort: '-updated',
          limit: 200
        })
        .then(list => {
          if (live) {
            setDatasets(list.datasets);
            setTotal(list.total);
            setError('');
          }
        })
        .catch(e => live && setError(describeDatasetError(e)));
    }, 150);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [api, query, tag, props.projectId, tick]);

  React.useEffect(() => {
    if (!props.events) {
      return;
    }
    const onEvent = (_: unknown, emission: { [key: string]: unknown }) => {
      const event = asDatasetEvent(emission);
      if (event && event.kind !== 'report') {
        refresh();
      }
    };
    props.events.connect(onEvent);
    return () => {
      props.events?.disconnect(onEvent);
    };
  }, [props.events, refresh]);

  const startUpload = (files: FileList | File[]) => {
    for (const file of Array.from(files)) {
      const key = `${file.name}-${Date.now()}-${Math.random()}`;
      const update = (patch: Partial<IUploadState>) =>
        setUploads(list =>
          list.map(u => (u.key === key ? { ...u, ...patch } : u))
        );
      const handle = api.upload(
        file,
        { projectId: props.projectId },
        (loaded, size) => update({ fraction: uploadFraction(loaded, size) })
      );
      setUploads(list => [
        ...list,
        { key, name: file.name, fraction: 0, abort: handle.abort }
      ]);
      handle.promise
        .then(result => {
          setUploads(list => list.filter(u => u.key !== key));
          setSelectedId(result.id);
          refresh();
        })
        .catch(e => update({ error: describeDatasetError(e) }));
    }
  };

  const tags: string[] = [];
  for (const d of datasets) {
    for (const t of d.tags) {
      if (!tags.includes(t)) {
        tags.push(t);
      }
    }
  }
  tags.sort();
  const selected = datasets.find(d => d.id === selectedId) ?? null;
  const inputRef = React.useRef<HTMLInputElement>(null);

  return (
    <div
      style={S.panel}
      className="jp-NotebookDag-datasets"
      data-testid="datasets-panel"
    >
      <div
        style={S.drop}
        onDragOver={e => e.preventDefault()}
        onDrop={e => {
          e.preventDefault();
          startUpload(e.dataTransfer.files);
        }}
      >
        Drop CSV, TSV, Parquet, JSON or Excel files here, or{' '}
        <button onClick={() => inputRef.current?.click()}>choose files…</button>
        <input
          ref={inputRef}
          type="file"
          multiple
          hidden
          accept=".csv,.tsv,.tab,.parquet,.pq,.json,.jsonl,.ndjson,.xlsx"
          data-testid="upload-input"
          onChange={e => {
            if (e.target.files) {
              startUpload(e.target.files);
            }
            e.target.value = '';
          }}
        />
      </div>
      <ImportSection
        projectId={props.projectId}
        api={importsApi}
        events={props.events}
        onImported={id => {
          setSelectedId(id);
          refresh();
        }}
      />
      <UploadProgress
        uploads={uploads}
        onDismiss={key => setUploads(list => list.filter(u => u.key !== key))}
      />
      <div style={S.row}>
        <input
          style={S.input}
          placeholder="Search datasets"
          value={query}
          onChange={e => setQuery(e.target.value)}
          aria-label="search datasets"
        />
        {tag && (
          <span
            style={S.tag}
            onClick={() => setTag('')}
            title="Remove the tag filter"
          >
            #{tag} ✕
          </span>
        )}
        <span style={S.muted}>{formatCount(total)}</span>
      </div>
      {!tag && tags.length > 0 && (
        <div>
          {tags.map(t => (
            <span key={t} style={S.tag} onClick={() => setTag(t)}>
              #{t}
            </span>
          ))}
        </div>
      )}
      {error && <div style={S.error}>{error}</div>}
      <div data-testid="dataset-list">
        {datasets.map(d => (
          <DatasetItem
            key={d.id}
            dataset={d}
            selected={d.id === selectedId}
            onSelect={() => setSelectedId(d.id)}
          />
        ))}
      </div>
      {selected && (
        <DatasetDetail
          key={`${selected.id}-${selected.current_version}`}
          api={api}
          dataset={selected}
          onOpenReport={
            props.onOpenReport ?? ((url: string) => window.open(url, '_blank'))
          }
          pollInterval={props.pollInterval ?? 1000}
          onChanged={refresh}
          makeInsights={() =>
            new DatasetInsights({
              api,
              datasetId: selected.id,
              currentProjectId: props.projectId,
              inserter: props.inserter,
              onAdded: props.onBlockAdded
            })
          }
        />
      )}
    </div>
  );
}

function DatasetItem(props: {
  dataset: IDataset;
  selected: boolean;
  onSelect: () => void;
}): JSX.Element {
  const d = props.dataset;
  const v = d.latest;
  return (
    <div
      style={{
        ...S.item,
        background: props.selected ? 'var(--jp-layout-color2)' : undefined
      }}
      onClick={props.onSelect}
      data-testid={`dataset-${d.id}`}
    >
      <div style={S.row}>
        <strong>{d.name}</strong>
        <span style={S.tag}>{v.format}</span>
        <span style={S.muted}>v{d.current_version}</span>
        {v.quality_score !== null && (
          <span
            style={{
              ...S.tag,
              background: qualityColor(v.quality_score),
              color: 'white'
            }}
          >
            {v.quality_score}
          </span>
        )}
      </div>
      <div style={S.muted}>
        {formatBytes(v.size_bytes)}
        {v.rows !== null
          ? ` · ${formatCount(v.rows)} rows × ${v.columns}`
          : ` · profile ${v.profile_status}`}
        {d.tags.length ? ` · ${d.tags.map(t => `#${t}`).join(' ')}` : ''}
      </div>
    </div>
  );
}

function DatasetDetail(props: {
  api: DatasetsApi;
  dataset: IDataset;
  onOpenReport: (url: string, title: string) => void;
  pollInterval: number;
  onChanged: () => void;
  /** The analysis and charts model (one per detail view). */
  makeInsights: () => DatasetInsights;
}): JSX.Element {
  const { api, dataset } = props;
  const [insights] = React.useState(props.makeInsights);
  const [tab, setTab] = React.useState<Tab>('preview');
  const [offset, setOffset] = React.useState(0);
  const [preview, setPreview] = React.useState<IPreview | null>(null);
  const [profile, setProfile] = React.useState<IProfileRecord | null>(null);
  const [versions, setVersions] = React.useState<IDatasetVersion[]>([]);
  const [report, setReport] = React.useState<IReportRecord | null>(null);
  const [wantReport, setWantReport] = React.useState(false);
  const [error, setError] = React.useState('');

  React.useEffect(() => {
    let live = true;
    if (tab === 'preview') {
      api.preview(dataset.id, offset, 50).then(
        p => live && setPreview(p),
        e => live && setError(describeDatasetError(e))
      );
    } else if (tab === 'versions') {
      api.versions(dataset.id).then(
        v => live && setVersions(v.versions),
        e => live && setError(describeDatasetError(e))
      );
    }
    return () => {
      live = false;
    };
  }, [api, dataset.id, tab, offset]);

  React.useEffect(() => {
    if (tab !== 'profile') {
      return;
    }
    let live = true;
    const poll = async () => {
      try {
        let record = await api.profile(dataset.id, 0);
        while (live && record.status === 'pending') {
          setProfile(record);
          record = await api.profile(dataset.id, 10);
        }
        if (live) {
          setProfile(record);
        }
      } catch (e) {
        if (live) {
          setError(describeDatasetError(e));
        }
      }
    };
    void poll();
    return () => {
      live = false;
    };
  }, [api, dataset.id, tab]);

  React.useEffect(() => {
    api.reportStatus(dataset.id).then(setReport, () => undefined);
  }, [api, dataset.id]);

  React.useEffect(() => {
    if (
      !report ||
      (report.status !== 'queued' && report.status !== 'running')
    ) {
      if (report?.status === 'succeeded' && wantReport) {
        setWantReport(false);
        props.onOpenReport(
          api.reportUrl(dataset.id),
          `Report: ${dataset.name}`
        );
      }
      return;
    }
    const timer = setTimeout(() => {
      api.reportStatus(dataset.id).then(
        r => setReport({ ...r }), // a new object: the next poll is scheduled even if nothing changed
        e => setError(describeDatasetError(e))
      );
    }, props.pollInterval);
    return () => clearTimeout(timer);
  }, [api, dataset, report, wantReport]);

  const buildReport = async () => {
    setError('');
    setWantReport(true);
    try {
      setReport(await api.startReport(dataset.id));
    } catch (e) {
      setWantReport(false);
      setError(describeDatasetError(e));
    }
  };

  const running = report?.status === 'queued' || report?.status === 'running';
  return (
    <div
      data-testid="dataset-detail"
      style={{ borderTop: '1px solid var(--jp-border-color1)', paddingTop: 6 }}
    >
      <div style={S.row}>
        <strong>{dataset.name}</strong>
        {TABS.map(t => (
          <button
            key={t}
            disabled={t === tab}
            onClick={() => setTab(t)}
            data-testid={`dataset-tab-${t}`}
          >
            {t}
          </button>
        ))}
        <button
          onClick={buildReport}
          disabled={running}
          data-testid="report-button"
        >
          {running
            ? `Report ${Math.round((report?.progress ?? 0) * 100)}%…`
            : report?.status === 'succeeded'
              ? 'Open full report'
              : 'Build full report'}
        </button>
        <button
          onClick={() => {
            if (
              window.confirm(
                `Delete the dataset ${dataset.name} and all its versions?`
              )
            ) {
              api
                .remove(dataset.id)
                .then(props.onChanged, e => setError(describeDatasetError(e)));
            }
          }}
        >
          Delete
        </button>
      </div>
      {running && (
        <progress
          value={report?.progress ?? 0}
          max={1}
          style={{ width: '100%' }}
        />
      )}
      {report?.status === 'failed' && (
        <div style={S.error}>Report failed: {report.error}</div>
      )}
      {error && <div style={S.error}>{error}</div>}
      {tab === 'preview' && preview && (
        <PreviewTable preview={preview} onPage={setOffset} />
      )}
      {tab === 'profile' &&
        (profile?.status === 'ready' && profile.profile ? (
          <ProfileSummary profile={profile.profile} />
        ) : profile?.status === 'failed' ? (
          <div style={S.error}>Profile failed: {profile.error}</div>
        ) : (
          <div style={S.muted}>Profiling…</div>
        ))}
      {tab === 'analysis' && (
        <AnalysisSection model={insights} datasetName={dataset.name} />
      )}
      {tab === 'charts' && <ChartsGallery model={insights} />}
      {tab === 'versions' && (
        <ul style={{ paddingLeft: 18, margin: 0 }}>
          {versions.map(v => (
            <li key={v.version}>
              v{v.version} · {v.original_name} · {formatBytes(v.size_bytes)} ·{' '}
              {new Date(v.created_at).toLocaleString()}
              {v.version === dataset.current_version ? ' (current)' : ''}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export type { IDatasetEvent };
