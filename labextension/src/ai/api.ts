/**
 * Calls of the AI routes. Plain calls go through `requestAPI`; streamed ones
 * read the server-sent events of `?stream=1` as they arrive.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { API_NAMESPACE, ApiError, IApiErrorBody, requestAPI } from '../handler';
import { SSEParser } from './text';
import {
  IFixRequest,
  IFixResult,
  IGenerateRequest,
  IGenerateResult,
  IGeneration,
  IProviders,
  StreamEvent
} from './types';

/**
 * Callbacks of a streamed call.
 */
export interface IStreamCallbacks {
  /** model text as it arrives; `round` 2 is the repair of a syntax error */
  onChunk?: (text: string, round: number) => void;
  /** the first answer did not parse: the text so far is discarded, a repair follows */
  onRepair?: (error: string) => void;
  /** cancels the request */
  signal?: AbortSignal;
}

/**
 * Typed calls of the AI routes (tests pass a fake object of this shape to the components).
 */
export class AIApi {
  constructor(
    readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  /** `POST /ai/generate` */
  generate(body: IGenerateRequest): Promise<IGenerateResult> {
    return requestAPI<IGenerateResult>(
      'ai/generate',
      { method: 'POST', body: JSON.stringify(body) },
      this.settings
    );
  }

  /** `POST /ai/fix` */
  fix(body: IFixRequest): Promise<IFixResult> {
    return requestAPI<IFixResult>(
      'ai/fix',
      { method: 'POST', body: JSON.stringify(body) },
      this.settings
    );
  }

  /** `POST /ai/generations/{id}/accept`; `apply` inserts (generate) or replaces (fix) the block */
  accept(
    generationId: string,
    apply: boolean,
    blockId?: string
  ): Promise<IGeneration> {
    const body: { apply: boolean; block_id?: string } = { apply };
    if (blockId) {
      body.block_id = blockId;
    }
    return requestAPI<IGeneration>(
      `ai/generations/${encodeURIComponent(generationId)}/accept`,
      { method: 'POST', body: JSON.stringify(body) },
      this.settings
    );
  }

  /** `GET /ai/providers` */
  providers(): Promise<IProviders> {
    return requestAPI<IProviders>('ai/providers', {}, this.settings);
  }

  /** `POST /ai/generate?stream=1` */
  generateStream(
    body: IGenerateRequest,
    callbacks: IStreamCallbacks = {}
  ): Promise<IGenerateResult> {
    return this.stream<IGenerateResult>('ai/generate', body, callbacks);
  }

  /** `POST /ai/fix?stream=1` */
  fixStream(
    body: IFixRequest,
    callbacks: IStreamCallbacks = {}
  ): Promise<IFixResult> {
    return this.stream<IFixResult>('ai/fix', body, callbacks);
  }

  /**
   * POST `body` to `endPoint?stream=1` and read its events. Resolves with the
   * `result` event; rejects with an `ApiError` for an error answer or an
   * `error` event (same status and body as without streaming).
   */
  async stream<T>(
    endPoint: string,
    body: unknown,
    callbacks: IStreamCallbacks
  ): Promise<T> {
    const url =
      URLExt.join(this.settings.baseUrl, ...API_NAMESPACE, endPoint) +
      '?stream=1';
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(
        url,
        {
          method: 'POST',
          body: JSON.stringify(body),
          signal: callbacks.signal
        },
        this.settings
      );
    } catch (error) {
      throw new ServerConnection.NetworkError(error as TypeError);
    }
    const type = response.headers?.get?.('Content-Type') ?? '';
    if (!response.ok || !type.startsWith('text/event-stream')) {
      const text = await response.text();
      let data: IApiErrorBody | string | null = text;
      try {
        data = JSON.parse(text) as IApiErrorBody;
      } catch {
        // keep the text
      }
      if (response.ok) {
        return data as unknown as T; // a server that ignored ?stream=1
      }
      const message =
        typeof data === 'object' && data?.message
          ? data.message
          : response.statusText;
      throw new ApiError(response.status, message, data, url);
    }
    const parser = new SSEParser();
    let result: T | undefined;
    const handle = (text: string): void => {
      for (const raw of parser.push(text)) {
        const ev = raw as StreamEvent;
        if (ev.event === 'chunk') {
          callbacks.onChunk?.(ev.data.text, ev.data.round);
        } else if (ev.event === 'repair') {
          callbacks.onRepair?.(ev.data.error);
        } else if (ev.event === 'result') {
          result = ev.data as unknown as T;
        } else if (ev.event === 'error') {
          throw new ApiError(
            ev.data.status,
            ev.data.message,
            ev.data as IApiErrorBody,
            url
          );
        }
      }
    };
    const reader = response.body?.getReader?.();
    if (reader) {
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          break;
        }
        handle(decoder.decode(value, { stream: true }));
      }
      handle(decoder.decode() + '\n\n');
    } else {
      handle((await response.text()) + '\n\n');
    }
    if (result === undefined) {
      throw new ApiError(
        502,
        'the answer stream ended without a result',
        null,
        url
      );
    }
    return result;
  }
}
