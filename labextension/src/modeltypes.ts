/**
 * The types a DAG view's model is made with and exposes.
 */
import { IStream } from '@lumino/signaling';

import { DagApi } from './api';
import type { IOpenNotebooks } from './notebook/docedits';
import { IProject } from './types';

/**
 * The subset of the DAG API the model uses (mocked in tests).
 */
export type IDagModelApi = Pick<
  DagApi,
  | 'getDag'
  | 'startRun'
  | 'getRun'
  | 'getProject'
  | 'listRuns'
  | 'queryRuns'
  | 'cancelRun'
  | 'retryRun'
  | 'addEdge'
  | 'deleteEdge'
  | 'hideEdge'
  | 'savePositions'
  | 'updateBlock'
  | 'insertBlock'
>;

/**
 * An event stream emitting `{schema_id, ...data}` objects, such as
 * `app.serviceManager.events.stream`.
 */
export type EventStream = IStream<unknown, { [key: string]: unknown }>;

/**
 * How long a followed run may stay silent before the model asks the server
 * for it (a safety net for lost events; live updates come from events).
 */
export const SILENT_RUN_CHECK_MS = 15000;

/**
 * A message shown above the canvas until dismissed or replaced.
 */
export interface INotice {
  kind: 'error' | 'info';
  text: string;
  /**
   * Grows with each notice (to tell two equal texts apart).
   */
  serial: number;
}

/**
 * What a DAG view's model is made with.
 */
export interface IDagModelOptions {
  projectId: string;
  api: IDagModelApi;
  /**
   * The server's event stream; without it statuses change only on refresh.
   */
  events?: EventStream | null;
  project?: IProject | null;
  /**
   * The notebooks open in this JupyterLab: source edits of an open
   * notebook go into it instead of the file.
   */
  notebooks?: IOpenNotebooks | null;
  /**
   * See `SILENT_RUN_CHECK_MS`; 0 disables the check.
   */
  silentCheckMs?: number;
  /**
   * Milliseconds before laying out after a change (default 0: the next
   * task); negative lays out at once.
   */
  layoutDelay?: number;
}
