/**
 * "Import from URL" and "Import from Kaggle" in the datasets panel, and the
 * progress of the imports started here (live from `dataset_import/v1`
 * events, polled as a fallback), with Cancel.
 */
import { ISignal } from '@lumino/signaling';
import * as React from 'react';

import { S } from './components';
import { ImportsApi } from './importapi';
import { ImportProgress } from './ImportProgress';
import {
  applyImportEvent,
  asImportEvent,
  describeImportRequestError,
  IImportRecord,
  IImportRequest,
  isFinished
} from './importtypes';
import { KaggleSearch } from './KaggleSearch';

export interface IImportSectionProps {
  /** Imports go to this project (null: no project). */
  projectId: string | null;
  /** The API client (tests pass a fake). */
  api?: ImportsApi;
  /** Emissions of `app.serviceManager.events.stream`. */
  events?: ISignal<unknown, { [key: string]: unknown }>;
  /** Called once per import that succeeded, with its dataset's id. */
  onImported: (datasetId: string) => void;
  /** Milliseconds between polls of running imports (events may be missed). */
  pollInterval?: number;
}

type Mode = 'none' | 'url' | 'kaggle';

export function ImportSection(props: IImportSectionProps): JSX.Element {
  const api = React.useMemo(() => props.api ?? new ImportsApi(), [props.api]);
  const [mode, setMode] = React.useState<Mode>('none');
  const [imports, setImports] = React.useState<IImportRecord[]>([]);
  const announced = React.useRef(new Set<string>());
  const current = React.useRef<IImportRecord[]>([]);
  current.current = imports;
  const onImported = React.useRef(props.onImported);
  onImported.current = props.onImported;

  /** Take a fresh record from the server; announce and drop a success. */
  const settle = React.useCallback((record: IImportRecord) => {
    if (record.status === 'succeeded' && record.dataset) {
      if (!announced.current.has(record.id)) {
        announced.current.add(record.id);
        onImported.current(record.dataset.id);
      }
      setImports(list => list.filter(r => r.id !== record.id));
      return;
    }
    setImports(list => list.map(r => (r.id === record.id ? record : r)));
  }, []);

  const refresh = React.useCallback(
    (id: string) => {
      api.get(id).then(settle, () => undefined);
    },
    [api, settle]
  );

  React.useEffect(() => {
    if (!props.events) {
      return;
    }
    const onEvent = (_: unknown, emission: { [key: string]: unknown }) => {
      const event = asImportEvent(emission);
      if (!event) {
        return;
      }
      if (!current.current.some(r => r.id === event.import_id)) {
        return; // not started here (another tab's or user's)
      }
      setImports(list => list.map(r => applyImportEvent(r, event)));
      if (isFinished(event.status)) {
        refresh(event.import_id); // the dataset or the error
      }
    };
    props.events.connect(onEvent);
    return () => {
      props.events?.disconnect(onEvent);
    };
  }, [props.events, refresh]);

  const running = imports.filter(r => !isFinished(r.status)).map(r => r.id);
  const runningKey = running.join(',');
  React.useEffect(() => {
    if (!running.length) {
      return;
    }
    const timer = setInterval(
      () => running.forEach(refresh),
      props.pollInterval ?? 2000
    );
    return () => clearInterval(timer);
  }, [runningKey, refresh, props.pollInterval]);

  const start = async (request: IImportRequest) => {
    const record = await api.start({ ...request, project_id: props.projectId });
    setImports(list => [record, ...list.filter(r => r.id !== record.id)]);
    if (isFinished(record.status)) {
      settle(record);
    }
  };

  const cancel = (id: string) => {
    api.cancel(id).then(settle, () => refresh(id));
  };

  return (
    <div data-testid="dataset-import">
      <div style={S.row}>
        <button
          onClick={() => setMode(mode === 'url' ? 'none' : 'url')}
          aria-pressed={mode === 'url'}
          data-testid="import-url-button"
        >
          Import from URL
        </button>
        <button
          onClick={() => setMode(mode === 'kaggle' ? 'none' : 'kaggle')}
          aria-pressed={mode === 'kaggle'}
          data-testid="import-kaggle-button"
        >
          Import from Kaggle
        </button>
      </div>
      {mode === 'url' && <UrlForm onImport={start} />}
      {mode === 'kaggle' && (
        <KaggleSearch api={api} onImport={ref => start({ kaggle: ref })} />
      )}
      <ImportProgress
        imports={imports}
        onCancel={cancel}
        onDismiss={id => setImports(list => list.filter(r => r.id !== id))}
      />
    </div>
  );
}

function UrlForm(props: {
  onImport: (request: IImportRequest) => Promise<void>;
}): JSX.Element {
  const [url, setUrl] = React.useState('');
  const [name, setName] = React.useState('');
  const [error, setError] = React.useState('');
  const submit = async () => {
    setError('');
    try {
      await props.onImport({ url: url.trim(), name: name.trim() || undefined });
      setUrl('');
      setName('');
    } catch (e) {
      setError(describeImportRequestError(e));
    }
  };
  return (
    <form
      onSubmit={e => {
        e.preventDefault();
        if (url.trim()) {
          void submit();
        }
      }}
    >
      <div style={S.row}>
        <input
          style={S.input}
          placeholder="https://… or s3://bucket/file.csv"
          value={url}
          onChange={e => setUrl(e.target.value)}
          aria-label="URL to import"
          data-testid="import-url-input"
        />
      </div>
      <div style={S.row}>
        <input
          style={S.input}
          placeholder="Name (default: the file's name)"
          value={name}
          onChange={e => setName(e.target.value)}
          aria-label="dataset name"
        />
        <button
          type="submit"
          disabled={!url.trim()}
          data-testid="import-url-submit"
        >
          Import
        </button>
      </div>
      {error && <div style={S.error}>{error}</div>}
    </form>
  );
}
