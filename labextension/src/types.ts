/**
 * Types of the notebook_dag REST API and of its run events.
 */

/**
 * Kind of a notebook cell (one DAG node per cell).
 */
export type CellType = 'code' | 'markdown' | 'raw';

/**
 * Status of a block (a DAG node) in a run.
 *
 * `never_run` is only reported by the DAG route, for blocks without any run.
 */
export type BlockStatus =
  | 'never_run'
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'cancelled';

/**
 * Status of a whole run.
 */
export type RunStatus =
  'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/**
 * A notebook_dag project (one notebook).
 */
export interface IProject {
  id: string;
  name: string;
  notebook_path: string;
  [key: string]: unknown;
}

/**
 * Answer of `GET projects`.
 */
export interface IProjectList {
  projects: IProject[];
  total: number;
}

/**
 * A DAG node, one per notebook cell.
 */
export interface IDagNode {
  id: string;
  cell_type: CellType;
  title: string;
  source: string;
  index: number;
  position: { x: number; y: number } | null;
  /**
   * Last known status (optional: the server may leave it out, the view then
   * takes statuses from the project's last run).
   */
  status?: BlockStatus | string;
  /**
   * The block's most recent run, and how long it took there (seconds).
   */
  last_run_id?: string | null;
  duration?: number | null;
  /**
   * Names the cell defines and reads (inferred edges come from them).
   */
  defines?: string[];
  reads?: string[];
  /**
   * Why the cell's source could not be parsed, if it could not.
   */
  parse_error?: string | null;
}

/**
 * A DAG edge: `manual` ones are declared by the user, `inferred` ones come
 * from the names a cell defines and another one uses.
 */
export interface IDagEdge {
  id: string | null;
  source: string;
  target: string;
  kind: 'manual' | 'inferred';
  names: string[];
}

/**
 * Answer of `GET projects/{id}/dag`.
 */
export interface IDag {
  nodes: IDagNode[];
  edges: IDagEdge[];
  order: string[];
}

/**
 * Answer of `GET projects/{id}/runs` (newest first).
 */
export interface IRunList {
  runs: IRun[];
  total: number;
}

/**
 * Answer of `POST projects/{id}/runs`.
 */
export interface IRunCreated {
  id: string;
  status: RunStatus | string;
}

/**
 * An nbformat output (only the fields the output panel reads).
 */
export interface IOutput {
  output_type: 'stream' | 'execute_result' | 'display_data' | 'error' | string;
  name?: string;
  text?: string | string[];
  data?: { [mime: string]: unknown };
  ename?: string;
  evalue?: string;
  traceback?: string[];
  [key: string]: unknown;
}

/**
 * The result of one block in a run.
 */
export interface IRunBlock {
  block_id: string;
  status: BlockStatus | string;
  started_at: string | null;
  finished_at: string | null;
  execution_count: number | null;
  outputs: IOutput[];
  /**
   * Why the block failed, was skipped or cancelled, if it did not succeed.
   */
  error?: string | null;
}

/**
 * Answer of `GET runs/{run_id}`.
 */
export interface IRun {
  id: string;
  status: RunStatus | string;
  blocks: IRunBlock[];
  [key: string]: unknown;
}

/**
 * Schema id of the run events emitted by the server extension.
 */
export const RUN_EVENT_SCHEMA =
  'https://schema.jupyter.org/notebook_dag/run/v1';

/**
 * Data of a run event (`kind` is `run` for the run itself, `block` for one of
 * its blocks; `block_id` is empty for run events).
 */
export interface IRunEvent {
  run_id: string;
  project_id: string;
  kind: 'run' | 'block';
  block_id: string;
  status: string;
  message: string;
}

/**
 * Statuses that end a run.
 */
export const TERMINAL_RUN_STATUSES: ReadonlyArray<string> = [
  'succeeded',
  'failed',
  'cancelled'
];

/**
 * Statuses of a run (or a block) still under way.
 */
export const ACTIVE_STATUSES: ReadonlyArray<string> = ['queued', 'running'];

/**
 * Whether a run status is terminal.
 */
export function isTerminalRunStatus(
  status: string | null | undefined
): boolean {
  return !!status && TERMINAL_RUN_STATUSES.includes(status);
}

/**
 * Whether a status is queued or running.
 */
export function isActiveStatus(status: string | null | undefined): boolean {
  return !!status && ACTIVE_STATUSES.includes(status);
}

/**
 * Read a run event out of an event-stream emission, or `null` if the
 * emission is not a notebook_dag run event.
 *
 * jupyter_server sends each event as `{schema_id, ...data}`.
 */
export function parseRunEvent(emission: {
  [key: string]: unknown;
}): IRunEvent | null {
  if (!emission || emission.schema_id !== RUN_EVENT_SCHEMA) {
    return null;
  }
  const str = (key: string): string =>
    typeof emission[key] === 'string' ? (emission[key] as string) : '';
  const kind = str('kind');
  if (
    (kind !== 'run' && kind !== 'block') ||
    !str('run_id') ||
    !str('status')
  ) {
    return null;
  }
  return {
    run_id: str('run_id'),
    project_id: str('project_id'),
    kind,
    block_id: str('block_id'),
    status: str('status'),
    message: str('message')
  };
}
