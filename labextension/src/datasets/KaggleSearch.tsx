/**
 * "Import from Kaggle": search Kaggle's datasets (through the server's Kaggle
 * client and the user's own Kaggle credentials) and import one, or type
 * `owner/dataset[/file]` directly.
 */
import * as React from 'react';

import { S } from './components';
import { formatBytes, formatCount } from './format';
import { ImportsApi } from './importapi';
import { describeImportRequestError, IKaggleDataset } from './importtypes';

export function KaggleSearch(props: {
  api: ImportsApi;
  onImport: (ref: string) => Promise<void>;
}): JSX.Element {
  const [search, setSearch] = React.useState('');
  const [ref, setRef] = React.useState('');
  const [results, setResults] = React.useState<IKaggleDataset[] | null>(null);
  const [busy, setBusy] = React.useState(false);
  const [error, setError] = React.useState('');

  const runSearch = async () => {
    setBusy(true);
    setError('');
    try {
      setResults((await props.api.searchKaggle(search.trim())).datasets);
    } catch (e) {
      setError(describeImportRequestError(e));
    } finally {
      setBusy(false);
    }
  };

  const start = async (what: string) => {
    setError('');
    try {
      await props.onImport(what);
    } catch (e) {
      setError(describeImportRequestError(e));
    }
  };

  return (
    <div data-testid="kaggle-import">
      <form
        style={S.row}
        onSubmit={e => {
          e.preventDefault();
          void runSearch();
        }}
      >
        <input
          style={S.input}
          placeholder="Search Kaggle datasets"
          value={search}
          onChange={e => setSearch(e.target.value)}
          aria-label="search Kaggle datasets"
          data-testid="kaggle-search-input"
        />
        <button type="submit" disabled={busy} data-testid="kaggle-search">
          {busy ? 'Searching…' : 'Search'}
        </button>
      </form>
      <form
        style={S.row}
        onSubmit={e => {
          e.preventDefault();
          if (ref.trim()) {
            void start(ref.trim()).then(() => setRef(''));
          }
        }}
      >
        <input
          style={S.input}
          placeholder="owner/dataset or owner/dataset/file.csv"
          value={ref}
          onChange={e => setRef(e.target.value)}
          aria-label="Kaggle dataset reference"
          data-testid="kaggle-ref-input"
        />
        <button type="submit" disabled={!ref.trim()}>
          Import
        </button>
      </form>
      {error && <div style={S.error}>{error}</div>}
      {results && !results.length && (
        <div style={S.muted}>No datasets found.</div>
      )}
      {results?.map(d => (
        <div
          key={d.ref}
          style={{ ...S.item, cursor: 'default' }}
          data-testid={`kaggle-result-${d.ref}`}
        >
          <div style={S.row}>
            <strong title={d.subtitle}>{d.title}</strong>
            <a href={d.url} target="_blank" rel="noreferrer" style={S.muted}>
              {d.ref}
            </a>
            <button onClick={() => void start(d.ref)}>Import</button>
          </div>
          <div style={S.muted}>
            {formatBytes(d.size_bytes)} · {formatCount(d.downloads)} downloads
            {d.license ? ` · ${d.license}` : ''}
          </div>
        </div>
      ))}
    </div>
  );
}
