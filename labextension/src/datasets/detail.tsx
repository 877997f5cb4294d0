/**
 * One dataset in the datasets panel: its preview, quick profile, analysis,
 * chart suggestions and versions in tabs, the full report (built in the
 * background, opened when ready) and deletion.
 */
import * as React from 'react';

import { DatasetsApi } from './api';
import { PreviewTable, ProfileSummary, S } from './components';
import { describeDatasetError, formatBytes } from './format';
import { DatasetInsights } from './insights';
import { AnalysisSection, ChartsGallery } from './InsightsSections';
import {
  IDataset,
  IDatasetVersion,
  IPreview,
  IProfileRecord,
  IReportRecord
} from './types';

type Tab = 'preview' | 'profile' | 'analysis' | 'charts' | 'versions';

const TABS: Tab[] = ['preview', 'profile', 'analysis', 'charts', 'versions'];

/**
 * The preview page, the quick profile (waited for while pending) or the
 * versions, as the tab shown needs them.
 */
function useTabData(
  api: DatasetsApi,
  datasetId: string,
  tab: Tab,
  offset: number,
  onError: (message: string) => void
) {
  const [preview, setPreview] = React.useState<IPreview | null>(null);
  const [profile, setProfile] = React.useState<IProfileRecord | null>(null);
  const [versions, setVersions] = React.useState<IDatasetVersion[]>([]);
  React.useEffect(() => {
    let live = true;
    const fail = (e: unknown) => live && onError(describeDatasetError(e));
    if (tab === 'preview') {
      api.preview(datasetId, offset, 50).then(p => live && setPreview(p), fail);
    } else if (tab === 'versions') {
      api.versions(datasetId).then(v => live && setVersions(v.versions), fail);
    } else if (tab === 'profile') {
      const poll = async () => {
        let record = await api.profile(datasetId, 0);
        while (live && record.status === 'pending') {
          setProfile(record);
          record = await api.profile(datasetId, 10);
        }
        if (live) {
          setProfile(record);
        }
      };
      poll().catch(fail);
    }
    return () => {
      live = false;
    };
  }, [api, datasetId, tab, offset]);
  return { preview, profile, versions };
}

/**
 * The full report's status, polled while it is built; `build` starts it and
 * opens it once ready.
 */
function useFullReport(
  api: DatasetsApi,
  dataset: IDataset,
  pollInterval: number,
  onOpenReport: (url: string, title: string) => void,
  onError: (message: string) => void
) {
  const [report, setReport] = React.useState<IReportRecord | null>(null);
  const [wanted, setWanted] = React.useState(false);
  React.useEffect(() => {
    api.reportStatus(dataset.id).then(setReport, () => undefined);
  }, [api, dataset.id]);
  const running = report?.status === 'queued' || report?.status === 'running';
  React.useEffect(() => {
    if (!running) {
      if (report?.status === 'succeeded' && wanted) {
        setWanted(false);
        onOpenReport(api.reportUrl(dataset.id), `Report: ${dataset.name}`);
      }
      return;
    }
    const timer = setTimeout(() => {
      api.reportStatus(dataset.id).then(
        r => setReport({ ...r }), // a new object: the next poll is scheduled even if nothing changed
        e => onError(describeDatasetError(e))
      );
    }, pollInterval);
    return () => clearTimeout(timer);
  }, [api, dataset, report, wanted]);
  const build = async () => {
    setWanted(true);
    try {
      setReport(await api.startReport(dataset.id));
    } catch (e) {
      setWanted(false);
      onError(describeDatasetError(e));
    }
  };
  return { report, running, build };
}

function VersionList(props: {
  dataset: IDataset;
  versions: IDatasetVersion[];
}) {
  return (
    <ul style={{ paddingLeft: 18, margin: 0 }}>
      {props.versions.map(v => (
        <li key={v.version}>
          v{v.version} · {v.original_name} · {formatBytes(v.size_bytes)} ·{' '}
          {new Date(v.created_at).toLocaleString()}
          {v.version === props.dataset.current_version ? ' (current)' : ''}
        </li>
      ))}
    </ul>
  );
}

function ProfileTab(props: { profile: IProfileRecord | null }) {
  const { profile } = props;
  if (profile?.status === 'ready' && profile.profile) {
    return <ProfileSummary profile={profile.profile} />;
  }
  if (profile?.status === 'failed') {
    return <div style={S.error}>Profile failed: {profile.error}</div>;
  }
  return <div style={S.muted}>Profiling…</div>;
}

export function DatasetDetail(props: {
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
  const [error, setError] = React.useState('');
  const data = useTabData(api, dataset.id, tab, offset, setError);
  const { report, running, build } = useFullReport(
    api,
    dataset,
    props.pollInterval,
    props.onOpenReport,
    setError
  );
  const remove = () => {
    if (
      window.confirm(`Delete the dataset ${dataset.name} and all its versions?`)
    ) {
      api
        .remove(dataset.id)
        .then(props.onChanged, e => setError(describeDatasetError(e)));
    }
  };
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
          onClick={() => {
            setError('');
            void build();
          }}
          disabled={running}
          data-testid="report-button"
        >
          {running
            ? `Report ${Math.round((report?.progress ?? 0) * 100)}%…`
            : report?.status === 'succeeded'
              ? 'Open full report'
              : 'Build full report'}
        </button>
        <button onClick={remove}>Delete</button>
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
      {tab === 'preview' && data.preview && (
        <PreviewTable preview={data.preview} onPage={setOffset} />
      )}
      {tab === 'profile' && <ProfileTab profile={data.profile} />}
      {tab === 'analysis' && (
        <AnalysisSection model={insights} datasetName={dataset.name} />
      )}
      {tab === 'charts' && <ChartsGallery model={insights} />}
      {tab === 'versions' && (
        <VersionList dataset={dataset} versions={data.versions} />
      )}
    </div>
  );
}
