/**
 * The three analysis results: the statistics table, the correlations
 * (strongest pairs ranked, the matrices as small heatmaps) and the k-means
 * clustering.
 */
import * as React from 'react';

import {
  IClusteringResult,
  ICorrelationMatrix,
  ICorrelationResult,
  IStatisticsResult
} from './analysistypes';
import { S } from './components';
import { formatCell, formatCount, formatPercent } from './format';
import {
  formatCoefficient,
  formatNormality,
  formatNumber,
  formatPValue,
  heatColor,
  methodLabel
} from './insightsformat';

const NUMERIC_STATS = ['mean', 'std', 'min', 'median', 'max'] as const;

export function StatisticsTable(props: {
  result: IStatisticsResult;
}): JSX.Element {
  const r = props.result;
  return (
    <div style={{ overflow: 'auto' }} data-testid="analysis-statistics">
      <div style={S.muted}>{formatCount(r.rows)} rows</div>
      <table style={S.table}>
        <thead>
          <tr>
            {['column', 'kind', 'count', 'missing', 'distinct'].map(h => (
              <th key={h} style={S.cell}>
                {h}
              </th>
            ))}
            {NUMERIC_STATS.map(h => (
              <th key={h} style={S.cell}>
                {h}
              </th>
            ))}
            <th style={S.cell}>notes</th>
          </tr>
        </thead>
        <tbody>
          {r.columns.map(c => (
            <tr key={c.name} data-testid={`statistics-${c.name}`}>
              <td style={S.cell} title={c.dtype}>
                <strong>{c.name}</strong>
              </td>
              <td style={S.cell}>{c.kind}</td>
              <td style={S.cell}>{formatCount(c.count)}</td>
              <td style={S.cell}>{formatCount(c.missing)}</td>
              <td style={S.cell}>{formatCount(c.distinct)}</td>
              {NUMERIC_STATS.map(k => (
                <td key={k} style={S.cell}>
                  {formatNumber(c[k])}
                </td>
              ))}
              <td style={{ ...S.cell, whiteSpace: 'normal' }}>
                <span style={S.muted}>{columnNotes(c)}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function columnNotes(c: IStatisticsResult['columns'][number]): string {
  const notes: string[] = [];
  const normality = formatNormality(c.normality);
  if (normality) {
    notes.push(normality);
  }
  if (c.skewness !== null && c.skewness !== undefined) {
    notes.push(`skew ${formatCoefficient(c.skewness)}`);
  }
  if (c.outliers?.count) {
    notes.push(
      `${formatCount(c.outliers.count)} outliers (${formatPercent(c.outliers.share)})`
    );
  }
  if (c.top?.length) {
    notes.push(
      `top: ${c.top
        .slice(0, 3)
        .map(t => `${formatCell(t.value, 30)} (${formatCount(t.count)})`)
        .join(', ')}`
    );
  }
  if (c.first) {
    notes.push(`${c.first} → ${c.last ?? ''}`);
  }
  return notes.join(' · ');
}

function Heatmap(props: { matrix: ICorrelationMatrix }): JSX.Element {
  const m = props.matrix;
  return (
    <div style={{ overflow: 'auto' }}>
      <div style={S.muted}>{methodLabel(m.method)}</div>
      <table style={S.table} data-testid={`correlation-matrix-${m.method}`}>
        <thead>
          <tr>
            <th style={S.cell} />
            {m.columns.map(c => (
              <th key={c} style={S.cell}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {m.rows.map((row, i) => (
            <tr key={row}>
              <th style={S.cell}>{row}</th>
              {m.values[i].map((v, j) => (
                <td
                  key={j}
                  style={{ ...S.cell, background: heatColor(v) }}
                  title={`${row} × ${m.columns[j]}: ${formatCoefficient(v)}, ${formatPValue(m.p_values[i]?.[j])}, n = ${m.n[i]?.[j] ?? '—'}`}
                >
                  {formatCoefficient(v)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function CorrelationView(props: {
  result: ICorrelationResult;
}): JSX.Element {
  const r = props.result;
  return (
    <div data-testid="analysis-correlation">
      <strong>Strongest pairs</strong>
      {r.pairs.length === 0 && (
        <div style={S.muted}>No pair of columns to correlate.</div>
      )}
      <ol style={{ margin: '2px 0', paddingLeft: 22 }}>
        {r.pairs.map(p => (
          <li key={`${p.columns[0]}|${p.columns[1]}|${p.method}`}>
            <span data-testid="correlation-pair">
              {p.columns[0]} ↔ {p.columns[1]}: {methodLabel(p.method)}{' '}
              {formatCoefficient(p.value)}
            </span>{' '}
            <span style={S.muted}>
              {formatPValue(p.p_value)}, n = {formatCount(p.n)}
            </span>
          </li>
        ))}
      </ol>
      {r.sampling.sampled && (
        <div style={S.muted}>
          {r.sampling.methods.join(', ')} on a random sample of{' '}
          {formatCount(r.sampling.sample_rows)} of {formatCount(r.rows)} rows.
        </div>
      )}
      {r.skipped.length > 0 && (
        <div style={S.muted}>Not correlated: {r.skipped.join(', ')}</div>
      )}
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8 }}>
        {r.matrices.map(m => (
          <Heatmap key={m.method} matrix={m} />
        ))}
      </div>
    </div>
  );
}

export function ClusteringView(props: {
  result: IClusteringResult;
}): JSX.Element {
  const r = props.result;
  const best = r.silhouettes.find(s => s.k === r.k);
  return (
    <div data-testid="analysis-clustering">
      <div style={S.row}>
        <span data-testid="clustering-k">
          {r.k === null ? 'No clustering' : `k = ${r.k}`}
        </span>
        {best && (
          <span style={S.muted}>
            silhouette {formatCoefficient(best.silhouette)}
          </span>
        )}
        <span style={S.muted}>
          {formatCount(r.rows_used)} of {formatCount(r.rows)} rows ·{' '}
          {r.columns.length} columns standardised
          {r.missing === 'impute_median' ? ' · missing values imputed' : ''}
        </span>
      </div>
      {r.reason && <div style={S.muted}>{r.reason}</div>}
      {r.clusters.length > 0 && (
        <div style={{ overflow: 'auto' }}>
          <table style={S.table}>
            <thead>
              <tr>
                <th style={S.cell}>cluster</th>
                <th style={S.cell}>size</th>
                {r.columns.map(c => (
                  <th key={c} style={S.cell}>
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {r.clusters.map(c => (
                <tr key={c.cluster}>
                  <td style={S.cell}>{c.cluster}</td>
                  <td style={S.cell}>
                    {formatCount(c.size)} ({formatPercent(c.share)})
                  </td>
                  {r.columns.map(col => (
                    <td key={col} style={S.cell}>
                      {formatNumber(c.centroid[col])}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {r.silhouettes.length > 1 && (
        <div style={S.muted}>
          silhouette by k:{' '}
          {r.silhouettes
            .map(s => `${s.k}: ${formatCoefficient(s.silhouette)}`)
            .join(' · ')}
        </div>
      )}
    </div>
  );
}
