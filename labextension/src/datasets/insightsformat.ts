/**
 * Formatting of analysis results: p-values, coefficients, method names and
 * the heatmap colour of a correlation (JupyterLab CSS variables, so both
 * themes work).
 */
import type { IInsertedBlock } from '../blockinsert';
import { CorrelationMethod } from './analysistypes';

export const METHOD_LABELS: { [method in CorrelationMethod]: string } = {
  pearson: 'Pearson r',
  spearman: 'Spearman ρ',
  cramers_v: "Cramér's V",
  correlation_ratio: 'correlation ratio η'
};

export function methodLabel(method: string): string {
  return METHOD_LABELS[method as CorrelationMethod] ?? method;
}

/**
 * `p < 0.001` below a thousandth, else three significant digits; `—` when
 * unknown.
 */
export function formatPValue(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) {
    return '—';
  }
  if (p < 0.001) {
    return 'p < 0.001';
  }
  return `p = ${Number(p.toPrecision(3))}`;
}

/**
 * A coefficient with two decimals (`−` for negatives); `—` when unknown.
 */
export function formatCoefficient(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return '—';
  }
  const text = Math.abs(value).toFixed(2);
  return value < 0 && text !== '0.00' ? `−${text}` : text;
}

/**
 * A number for a statistics table: integers as they are, others with four
 * significant digits (exponent beyond 1e6 or under 1e-3); `—` when unknown.
 */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return '—';
  }
  if (Number.isInteger(value) && Math.abs(value) < 1e15) {
    return value.toLocaleString('en-US');
  }
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e6 || abs < 1e-3)) {
    return value.toExponential(2);
  }
  return String(Number(value.toPrecision(4)));
}

/**
 * The heatmap background of a coefficient in [−1, 1]: the brand colour for
 * positive values, the error colour for negative ones, mixed with
 * transparency in proportion to |value| (so it reads on light and dark
 * themes); transparent when unknown.
 */
export function heatColor(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return 'transparent';
  }
  const share = Math.round(Math.min(1, Math.abs(value)) * 80);
  const colour =
    value < 0 ? 'var(--jp-error-color1)' : 'var(--jp-brand-color1)';
  return `color-mix(in srgb, ${colour} ${share}%, transparent)`;
}

/**
 * "normal" / "not normal (p < 0.001)" for a normality test; '' when none.
 */
export function formatNormality(
  normality:
    | { p_value: number | null; normal_at_5pct: boolean | null }
    | null
    | undefined
): string {
  if (!normality || normality.normal_at_5pct === null) {
    return '';
  }
  return `${normality.normal_at_5pct ? 'normal' : 'not normal'} (${formatPValue(
    normality.p_value
  )})`;
}

/**
 * The data URL of a chart preview, which the server sends as bare base64
 * (a data URL is kept as it is).
 */
export function previewSrc(preview: string | null | undefined): string | null {
  if (!preview) {
    return null;
  }
  return preview.startsWith('data:')
    ? preview
    : `data:image/png;base64,${preview}`;
}

/**
 * The notification's text.
 */
export function blockAddedMessage(
  result: IInsertedBlock,
  title: string
): string {
  return result.where === 'notebook'
    ? `Added “${title}” to the open notebook ${result.notebookPath} (unsaved: save the notebook to keep it).`
    : `Added “${title}” as a new block of ${result.notebookPath}.`;
}
