/**
 * Plain-text rendering of nbformat outputs for the side panel (pure).
 */
import { IOutput } from './types';

/**
 * One output, as text.
 */
export interface ITextOutput {
  kind: 'stream' | 'result' | 'error' | 'other';
  /**
   * `stdout`/`stderr` for streams, the output type otherwise.
   */
  name: string;
  text: string;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/**
 * Remove ANSI colour escapes (tracebacks carry them).
 */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

function joinText(value: unknown): string {
  if (Array.isArray(value)) {
    return value.map(item => String(item)).join('');
  }
  return typeof value === 'string' ? value : '';
}

/**
 * Text of each output: stream text, `text/plain` of results and displays,
 * `ename: evalue` (and the traceback) of errors.
 */
export function outputsToText(
  outputs: IOutput[] | null | undefined
): ITextOutput[] {
  const result: ITextOutput[] = [];
  for (const output of outputs ?? []) {
    switch (output.output_type) {
      case 'stream':
        result.push({
          kind: 'stream',
          name: output.name || 'stdout',
          text: joinText(output.text)
        });
        break;
      case 'execute_result':
      case 'display_data':
      case 'update_display_data': {
        const data = output.data ?? {};
        const plain = joinText(data['text/plain']);
        const mimes = Object.keys(data).filter(mime => mime !== 'text/plain');
        result.push({
          kind: 'result',
          name: output.output_type,
          text: plain || (mimes.length ? `[${mimes.join(', ')}]` : '')
        });
        break;
      }
      case 'error': {
        const head = `${output.ename ?? 'Error'}: ${output.evalue ?? ''}`;
        const trace = (output.traceback ?? []).map(stripAnsi).join('\n');
        result.push({
          kind: 'error',
          name: output.ename ?? 'error',
          text: trace ? `${head}\n${trace}` : head
        });
        break;
      }
      default:
        result.push({
          kind: 'other',
          name: String(output.output_type),
          text: ''
        });
    }
  }
  return result;
}

/**
 * A duration in seconds, short.
 */
export function formatDuration(seconds: number): string {
  if (seconds < 1) {
    return `${Math.round(seconds * 1000)} ms`;
  }
  if (seconds < 60) {
    return `${seconds.toFixed(1)} s`;
  }
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}
