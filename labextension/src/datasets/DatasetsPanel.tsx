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
import { S, UploadProgress } from './components';
import { formatBytes, formatCount, qualityColor } from './format';
import { ImportsApi } from './importapi';
import { DatasetDetail } from './detail';
import { DatasetsModel } from './model';
import { ImportSection } from './ImportSection';
import { DatasetInsights } from './insights';
import { IDataset, IDatasetEvent } from './types';

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

/**
 * The panel's model for `projectId`, loaded at once and refreshed by the
 * server's dataset events; re-renders on each change.
 */
function useDatasetsModel(
  api: DatasetsApi,
  projectId: string | null,
  events?: ISignal<unknown, { [key: string]: unknown }>
): DatasetsModel {
  const model = React.useMemo(
    () => new DatasetsModel({ api, projectId }),
    [api, projectId]
  );
  const [, setVersion] = React.useState(0);
  React.useEffect(() => {
    const onChange = () => setVersion(v => v + 1);
    model.changed.connect(onChange);
    model.refresh();
    return () => model.dispose();
  }, [model]);
  React.useEffect(() => {
    if (!events) {
      return;
    }
    const onEvent = (_: unknown, emission: { [key: string]: unknown }) =>
      model.onEvent(emission);
    events.connect(onEvent);
    return () => {
      events.disconnect(onEvent);
    };
  }, [model, events]);
  return model;
}

/**
 * Drop files here or choose them: each is uploaded with its progress.
 */
function UploadDrop(props: { model: DatasetsModel }): JSX.Element {
  const inputRef = React.useRef<HTMLInputElement>(null);
  return (
    <div
      style={S.drop}
      onDragOver={e => e.preventDefault()}
      onDrop={e => {
        e.preventDefault();
        props.model.upload(e.dataTransfer.files);
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
            props.model.upload(e.target.files);
          }
          e.target.value = '';
        }}
      />
    </div>
  );
}

/**
 * Search, the tag filter and the count.
 */
function DatasetFilters(props: { model: DatasetsModel }): JSX.Element {
  const { model } = props;
  const tags = model.tags;
  return (
    <>
      <div style={S.row}>
        <input
          style={S.input}
          placeholder="Search datasets"
          value={model.query}
          onChange={e => model.setQuery(e.target.value)}
          aria-label="search datasets"
        />
        {model.tag && (
          <span
            style={S.tag}
            onClick={() => model.setTag('')}
            title="Remove the tag filter"
          >
            #{model.tag} ✕
          </span>
        )}
        <span style={S.muted}>{formatCount(model.total)}</span>
      </div>
      {!model.tag && tags.length > 0 && (
        <div>
          {tags.map(t => (
            <span key={t} style={S.tag} onClick={() => model.setTag(t)}>
              #{t}
            </span>
          ))}
        </div>
      )}
    </>
  );
}

export function DatasetsPanel(props: IDatasetsPanelProps): JSX.Element {
  const api = React.useMemo(() => props.api ?? new DatasetsApi(), [props.api]);
  const importsApi = React.useMemo(
    () => props.importsApi ?? new ImportsApi(api.settings),
    [api, props.importsApi]
  );
  const model = useDatasetsModel(api, props.projectId, props.events);
  const selected = model.selected;
  return (
    <div
      style={S.panel}
      className="jp-NotebookDag-datasets"
      data-testid="datasets-panel"
    >
      <UploadDrop model={model} />
      <ImportSection
        projectId={props.projectId}
        api={importsApi}
        events={props.events}
        onImported={id => {
          model.select(id);
          model.refresh();
        }}
      />
      <UploadProgress
        uploads={model.uploads}
        onDismiss={key => model.dismissUpload(key)}
      />
      <DatasetFilters model={model} />
      {model.error && <div style={S.error}>{model.error}</div>}
      <div data-testid="dataset-list">
        {model.datasets.map(d => (
          <DatasetItem
            key={d.id}
            dataset={d}
            selected={d.id === model.selectedId}
            onSelect={() => model.select(d.id)}
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
          onChanged={() => model.refresh()}
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

export type { IDatasetEvent };
