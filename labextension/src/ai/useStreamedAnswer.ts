/**
 * The state of one AI request whose answer streams in, shared by the prompt
 * box and "Fix with AI": the text so far (reset when the server repairs a
 * first answer that did not parse), the final result or error, whether it is
 * under way, and stopping it. Updates after the component unmounted are
 * dropped, and unmounting aborts the request.
 */
import * as React from 'react';

import { IStreamCallbacks } from './api';

export interface IStreamedAnswer<R> {
  /** the model's text so far */
  partial: string;
  result: R | null;
  error: unknown;
  /** a request is under way */
  busy: boolean;
  /**
   * Send `request` with callbacks that collect the streamed text; resolves
   * with its result, or null when it failed or was stopped (see `error`).
   */
  ask(request: (callbacks: IStreamCallbacks) => Promise<R>): Promise<R | null>;
  /** abort the request under way */
  stop(): void;
  /** forget the result (e.g. rejected) */
  clear(): void;
  /** show an error of a later step (e.g. accepting the answer) */
  fail(error: unknown): void;
  /** whether the component is still mounted */
  isMounted(): boolean;
}

export function useStreamedAnswer<R>(): IStreamedAnswer<R> {
  const [partial, setPartial] = React.useState('');
  const [result, setResult] = React.useState<R | null>(null);
  const [error, setError] = React.useState<unknown>(null);
  const [busy, setBusy] = React.useState(false);
  const mounted = React.useRef(true);
  const abort = React.useRef<AbortController | null>(null);
  React.useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
      abort.current?.abort();
    };
  }, []);

  const ask = async (
    request: (callbacks: IStreamCallbacks) => Promise<R>
  ): Promise<R | null> => {
    setBusy(true);
    setError(null);
    setResult(null);
    setPartial('');
    const controller = new AbortController();
    abort.current = controller;
    let text = '';
    try {
      const out = await request({
        signal: controller.signal,
        onChunk: chunk => {
          text += chunk;
          if (mounted.current) {
            setPartial(text);
          }
        },
        onRepair: () => {
          text = '';
        }
      });
      if (mounted.current) {
        setResult(out);
      }
      return out;
    } catch (e) {
      if (mounted.current) {
        setError(e);
      }
      return null;
    } finally {
      abort.current = null;
      if (mounted.current) {
        setBusy(false);
      }
    }
  };

  return {
    partial,
    result,
    error,
    busy,
    ask,
    stop: () => abort.current?.abort(),
    clear: () => {
      setResult(null);
      setError(null);
    },
    fail: e => {
      if (mounted.current) {
        setError(e);
      }
    },
    isMounted: () => mounted.current
  };
}
