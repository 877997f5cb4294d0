/**
 * Presentational pieces of the datasets panel: histograms, the quick-profile
 * summary, the preview table and upload progress bars.
 */
import * as React from 'react';

import {
  formatBytes,
  formatCell,
  formatCount,
  formatPercent,
  formatStat,
  histogramBars,
  qualityColor,
  topValueShares
} from './format';
import { IColumnProfile, IHistogram, IPreview, IProfile } from './types';

export const S: { [name: string]: React.CSSProperties } = {
  panel: {
    display: 'flex',
    flexDirection: 'column',
    gap: 8,
    padding: 8,
    height: '100%',
    overflow: 'auto',
    boxSizing: 'border-box',
    fontSize: 'var(--jp-ui-font-size1)',
    color: 'var(--jp-ui-font-color1)',
    background: 'var(--jp-layout-color1)'
  },
  row: { display: 'flex', gap: 6, alignItems: 'center', flexWrap: 'wrap' },
  input: {
    flex: 1,
    minWidth: 80,
    padding: '2px 6px',
    border: '1px solid var(--jp-border-color1)',
    background: 'var(--jp-input-background, var(--jp-layout-color1))',
    color: 'var(--jp-ui-font-color1)'
  },
  drop: {
    border: '1px dashed var(--jp-border-color1)',
    borderRadius: 4,
    padding: 8,
    textAlign: 'center',
    color: 'var(--jp-ui-font-color2)'
  },
  item: {
    padding: '4px 6px',
    borderBottom: '1px solid var(--jp-border-color2)',
    cursor: 'pointer'
  },
  tag: {
    display: 'inline-block',
    padding: '0 4px',
    marginRight: 3,
    borderRadius: 3,
    background: 'var(--jp-layout-color2)',
    color: 'var(--jp-ui-font-color2)',
    fontSize: 'var(--jp-ui-font-size0)',
    cursor: 'pointer'
  },
  muted: {
    color: 'var(--jp-ui-font-color2)',
    fontSize: 'var(--jp-ui-font-size0)'
  },
  error: { color: 'var(--jp-error-color1)' },
  table: {
    borderCollapse: 'collapse',
    fontFamily: 'var(--jp-code-font-family)',
    fontSize: 'var(--jp-code-font-size)'
  },
  cell: {
    border: '1px solid var(--jp-border-color2)',
    padding: '1px 4px',
    whiteSpace: 'nowrap'
  }
};

/**
 * A bar chart of counts per bin, in plain SVG.
 */
export function Histogram(props: {
  histogram?: IHistogram | null;
  width?: number;
  height?: number;
}): JSX.Element | null {
  const width = props.width ?? 120;
  const height = props.height ?? 28;
  const bars = histogramBars(props.histogram, width, height);
  if (!bars.length) {
    return null;
  }
  return (
    <svg
      width={width}
      height={height}
      role="img"
      aria-label="histogram"
      data-testid="histogram"
    >
      {bars.map((bar, i) => (
        <rect
          key={i}
          x={bar.x}
          y={bar.y}
          width={bar.width}
          height={bar.height}
          fill="var(--jp-brand-color1)"
        >
          <title>{`${formatStat(bar.low)} – ${formatStat(bar.high)}: ${formatCount(bar.count)}`}</title>
        </rect>
      ))}
    </svg>
  );
}

/**
 * Horizontal bars of the most frequent values.
 */
export function TopValues(props: {
  column: IColumnProfile;
  rows: number;
}): JSX.Element | null {
  const shares = topValueShares(props.column.top, props.rows);
  if (!shares.length) {
    return null;
  }
  return (
    <div>
      {shares.map((item, i) => (
        <div
          key={i}
          style={{ display: 'flex', alignItems: 'center', gap: 4 }}
          title={`${item.label}: ${formatCount(item.count)}`}
        >
          <div
            style={{
              width: 60,
              height: 6,
              background: 'var(--jp-layout-color2)'
            }}
          >
            <div
              style={{
                width: `${item.share * 100}%`,
                height: '100%',
                background: 'var(--jp-brand-color1)'
              }}
            />
          </div>
          <span style={S.muted}>{item.label}</span>
        </div>
      ))}
    </div>
  );
}

function ColumnRow(props: {
  column: IColumnProfile;
  rows: number;
}): JSX.Element {
  const c = props.column;
  const stats =
    c.kind === 'numeric'
      ? `min ${formatStat(c.min)} · mean ${formatStat(c.mean)} · max ${formatStat(c.max)} · std ${formatStat(c.std)}`
      : c.kind === 'datetime'
        ? `${formatStat(c.min)} → ${formatStat(c.max)}`
        : `${formatCount(c.distinct ?? null)} distinct`;
  return (
    <tr data-testid={`profile-column-${c.name}`}>
      <td style={S.cell} title={c.dtype}>
        <strong>{c.name}</strong>
        <div style={S.muted}>
          {c.kind} · {c.dtype}
        </div>
      </td>
      <td style={S.cell}>
        {formatPercent(c.missing_ratio)}
        <div style={S.muted}>missing</div>
      </td>
      <td style={S.cell}>
        {c.histogram ? (
          <Histogram histogram={c.histogram} />
        ) : (
          <TopValues column={c} rows={props.rows} />
        )}
      </td>
      <td style={{ ...S.cell, whiteSpace: 'normal' }}>
        <span style={S.muted}>{stats}</span>
      </td>
    </tr>
  );
}

/**
 * The quick profile: shape, memory, missing values, duplicates, the quality
 * score with its rules and one row per column.
 */
export function ProfileSummary(props: { profile: IProfile }): JSX.Element {
  const p = props.profile;
  const failed = p.quality.rules.filter(r => !r.passed);
  return (
    <div data-testid="profile-summary">
      <div style={S.row}>
        <span
          data-testid="quality-score"
          style={{
            ...S.tag,
            background: qualityColor(p.quality.score),
            color: 'white',
            fontSize: 'var(--jp-ui-font-size1)'
          }}
          title="Data-quality score (100 = no issue found)"
        >
          {p.quality.score} ({p.quality.grade})
        </span>
        <span>
          {formatCount(p.rows)} rows × {formatCount(p.columns)} columns
        </span>
        <span style={S.muted}>{formatBytes(p.memory_bytes)} in memory</span>
        <span style={S.muted}>
          {formatPercent(p.missing_ratio)} cells missing
        </span>
        <span
          style={S.muted}
          data-testid="duplicate-rows"
          title="Rows that repeat an earlier row (pandas' duplicated()); the full report counts distinct rows that occur more than once"
        >
          {formatCount(p.duplicate_rows)}{' '}
          {p.duplicate_rows === 1 ? 'row repeats' : 'rows repeat'} an earlier
          row
          {p.duplicate_groups !== undefined && p.duplicate_rows > 0
            ? ` (${formatCount(p.duplicate_groups)} distinct ${
                p.duplicate_groups === 1 ? 'row' : 'rows'
              } duplicated)`
            : ''}
        </span>
      </div>
      {failed.length > 0 && (
        <ul style={{ margin: '4px 0', paddingLeft: 18 }}>
          {failed.map(rule => (
            <li key={rule.id} style={S.muted} data-rule={rule.id}>
              {rule.problem ||
                `${rule.title}: not met${
                  rule.columns.length ? ` (${rule.columns.join(', ')})` : ''
                }`}{' '}
              (−{rule.penalty} points)
            </li>
          ))}
        </ul>
      )}
      <table style={S.table}>
        <tbody>
          {p.column_profiles.map(c => (
            <ColumnRow key={c.name} column={c} rows={p.rows} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * A page of rows with paging buttons.
 */
export function PreviewTable(props: {
  preview: IPreview;
  onPage: (offset: number) => void;
}): JSX.Element {
  const p = props.preview;
  const last = p.offset + p.rows.length;
  return (
    <div data-testid="preview">
      <div style={S.row}>
        <button
          disabled={p.offset === 0}
          onClick={() => props.onPage(Math.max(0, p.offset - p.limit))}
        >
          ‹ Previous
        </button>
        <span style={S.muted}>
          rows {formatCount(p.rows.length ? p.offset + 1 : p.offset)}–
          {formatCount(last)}
          {p.total_rows !== null ? ` of ${formatCount(p.total_rows)}` : ''}
        </span>
        <button
          disabled={!p.has_more}
          onClick={() => props.onPage(p.offset + p.limit)}
        >
          Next ›
        </button>
      </div>
      <div style={{ overflow: 'auto', maxHeight: 320 }}>
        <table style={S.table}>
          <thead>
            <tr>
              {p.columns.map(c => (
                <th key={c.name} style={S.cell} title={c.dtype}>
                  {c.name}
                  <div style={S.muted}>{c.dtype}</div>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {p.rows.map((row, i) => (
              <tr key={p.offset + i}>
                {row.map((value, j) => (
                  <td key={j} style={S.cell}>
                    {formatCell(value)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/**
 * One upload in flight.
 */
export interface IUploadState {
  key: string;
  name: string;
  fraction: number;
  error?: string;
  abort?: () => void;
}

export function UploadProgress(props: {
  uploads: IUploadState[];
  onDismiss: (key: string) => void;
}): JSX.Element {
  return (
    <div>
      {props.uploads.map(u => (
        <div key={u.key} style={S.row} data-testid="upload-progress">
          <span
            style={{
              minWidth: 80,
              overflow: 'hidden',
              textOverflow: 'ellipsis'
            }}
          >
            {u.name}
          </span>
          {u.error ? (
            <span style={S.error}>{u.error}</span>
          ) : (
            <progress value={u.fraction} max={1} style={{ flex: 1 }} />
          )}
          {u.error ? (
            <button onClick={() => props.onDismiss(u.key)}>Dismiss</button>
          ) : (
            <button onClick={() => u.abort?.()}>Cancel</button>
          )}
        </div>
      ))}
    </div>
  );
}
