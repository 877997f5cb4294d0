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
  | 'cancelled'
  | 'up_to_date';

/**
 * State of a code block in the project kernel: whether what it computed is
 * still current (`up_to_date`), out of date after an edit upstream (`stale`),
 * or was never computed there (`never_run`).
 */
export type BlockState = 'never_run' | 'up_to_date' | 'stale';

/**
 * Status of a whole run.
 */
export type RunStatus =
  'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

/**
 * What a run executes: `all` code cells, one `block`, a block with its
 * `upstream` or `downstream`, or every `stale` block (`retry` for the runs
 * started by "re-run failed").
 */
export type RunMode =
  'all' | 'block' | 'upstream' | 'downstream' | 'stale' | 'retry';

/**
 * A notebook_dag project (one notebook).
 */
export interface IProject {
  id: string;
  name: string;
  notebook_path: string;
  description?: string;
  tags?: string[];
  owner?: string;
  favorite?: boolean;
  kernel_name?: string | null;
  created_at?: string;
  updated_at?: string;
  version?: number;
  /**
   * Strong ETag (`"project-<id>-<version>.<view>"`) for `If-Match`.
   */
  etag?: string | null;
  /**
   * When the requesting user last opened the project's DAG view (ISO time),
   * `null` if never.
   */
  last_opened_at?: string | null;
  [key: string]: unknown;
}

/**
 * Sort keys of `GET projects` (`-` for descending).
 */
export type ProjectSort =
  'name' | '-name' | 'created' | '-created' | 'updated' | '-updated';

/**
 * Query of `GET projects`.
 */
export interface IProjectQuery {
  q?: string;
  tag?: string;
  favorite?: boolean;
  sort?: ProjectSort;
  limit?: number;
  offset?: number;
  notebook_path?: string;
}

/**
 * Body of `PATCH projects/{id}`.
 */
export interface IProjectUpdate {
  name?: string;
  description?: string;
  tags?: string[];
  favorite?: boolean;
}

/**
 * Body of `POST projects`.
 */
export interface IProjectCreate {
  name: string;
  notebook_path: string;
  description?: string;
  tags?: string[];
  /** create the notebook from this template (`GET /templates`) */
  template?: ITemplateChoice;
}

/** A parameter of a project template. */
export interface ITemplateParameter {
  name: string;
  kind: 'dataset' | 'column' | 'integer';
  description: string;
  required: boolean;
  default: number | string | null;
  minimum: number | null;
  maximum: number | null;
}

/** A project template of `GET /templates`. */
export interface ITemplate {
  id: string;
  title: string;
  description: string;
  source: string;
  cells: number;
  parameters: ITemplateParameter[];
}

export interface ITemplateChoice {
  id: string;
  parameters: { [name: string]: string | number | null };
}

/**
 * Answer of `GET projects`.
 */
export interface IProjectList {
  projects: IProject[];
  total: number;
}

/**
 * A cell of `PUT projects/{id}/document`.
 */
export interface IDocumentCell {
  id: string;
  cell_type: 'code' | 'markdown' | 'raw';
  source: string;
  metadata?: { [key: string]: unknown };
}

/**
 * Body of `PUT projects/{id}/document`: the notebook as the open editor has
 * it.
 */
export interface IDocumentBody {
  cells: IDocumentCell[];
  metadata?: { [key: string]: unknown };
  base_revision?: number;
}

/**
 * Answer of `PUT projects/{id}/document`: kept in memory for `expires_in`
 * seconds (`editor`), or ignored because the server reads the shared
 * document of jupyter-collaboration (`collaboration`).
 */
export type IDocumentAnswer =
  | { live: 'editor'; revision: number; expires_in: number }
  | { live: 'collaboration' };

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
  /**
   * Whether the block is current in the project kernel.
   */
  state?: BlockState | string;
  /**
   * Names whose value in the kernel is not the one a fresh top-to-bottom run
   * gives this block: running it alone may not reproduce a fresh run (other
   * run modes restore them first).
   */
  later_changes?: string[];
  /**
   * Tag of the current source.
   */
  version?: string;
  /**
   * The block's strong ETag (`"block-<id>-<version>.<view>"`), sent as
   * `If-Match` when editing it.
   */
  etag?: string | null;
}

/**
 * A dataset node of `GET projects/{id}/dag?datasets=true` (its id is
 * `dataset:<dataset id>`; edges to and from it are `reads`/`writes`).
 */
export interface IDatasetNode {
  id: string;
  kind: 'dataset';
  dataset_id: string;
  name: string;
  format?: string;
  version?: number;
  rows?: number | null;
}

/**
 * Kinds of DAG edges: `manual` (drawn by the user), `inferred` (from the
 * names a cell defines and another one uses), `hidden` (an inferred edge the
 * user hid), `reads`/`writes` (between a cell and a dataset).
 */
export type EdgeKind = 'manual' | 'inferred' | 'hidden' | 'reads' | 'writes';

/**
 * A block (notebook cell) of `GET projects/{id}/blocks`.
 */
export interface IBlock {
  id: string;
  cell_type: CellType;
  source: string;
  title: string;
  index: number;
  position: { x: number; y: number } | null;
  version?: string;
  etag?: string | null;
}

/**
 * A DAG edge: `manual` ones are declared by the user, `inferred` ones come
 * from the names a cell defines and another one uses.
 */
export interface IDagEdge {
  id: string | null;
  source: string;
  target: string;
  kind: EdgeKind | string;
  names: string[];
  /**
   * Conflicting manual edges only: the cycle it would close, as block ids.
   */
  cycle?: string[] | null;
}

/**
 * Answer of `GET projects/{id}/dag`.
 *
 * The client moves dataset nodes (`?datasets=true`) out of `nodes` into
 * `datasets`, so `nodes` are always notebook cells.
 */
export interface IDag {
  nodes: IDagNode[];
  edges: IDagEdge[];
  order: string[];
  /**
   * Manual edges deleted because a cell they joined disappeared (reported once).
   */
  dropped?: IDagEdge[];
  /**
   * Manual edges left out of the DAG because, with the edges inferred from the
   * current code, they would close a cycle (`cycle`); stored until deleted.
   */
  conflicting?: IDagEdge[];
  /**
   * Inferred edges the user hid (kind `hidden`, each with its id).
   */
  hidden?: IDagEdge[];
  datasets?: IDatasetNode[];
}

/**
 * Answer of `GET projects/{id}/edges`.
 */
export interface IEdgeList {
  edges: IDagEdge[];
  dropped: IDagEdge[];
  hidden: IDagEdge[];
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
 * Body of `POST projects/{id}/runs`.
 */
export interface IRunRequest {
  mode: Exclude<RunMode, 'retry'>;
  block_id?: string;
  kernel_id?: string;
  force?: boolean;
  /**
   * At most this many blocks at once (independent ones on worker kernels); the
   * server's default when absent.
   */
  max_parallel?: number;
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
  /**
   * Where it ran in a parallel run: `project` or `worker-N`.
   */
  kernel?: string | null;
  /**
   * Why it ran where it did, when the scheduler had no free choice.
   */
  note?: string | null;
}

/**
 * Answer of `GET runs/{run_id}`.
 */
export interface IRun {
  id: string;
  status: RunStatus | string;
  blocks: IRunBlock[];
  project_id?: string;
  mode?: RunMode | string;
  parent_id?: string | null;
  block_id?: string | null;
  reason?: string | null;
  kernel_id?: string | null;
  owner?: string;
  created_at?: string;
  started_at?: string | null;
  finished_at?: string | null;
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
  execution_count?: number | null;
}

/**
 * Statuses that end a run.
 */
export const TERMINAL_RUN_STATUSES: ReadonlyArray<string> = [
  'succeeded',
  'failed',
  'cancelled',
  'interrupted'
];

/**
 * Runs that can be retried ("re-run failed"): some of their blocks did not
 * succeed.
 */
export const RETRYABLE_RUN_STATUSES: ReadonlyArray<string> = [
  'failed',
  'cancelled',
  'interrupted'
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
  const event: IRunEvent = {
    run_id: str('run_id'),
    project_id: str('project_id'),
    kind,
    block_id: str('block_id'),
    status: str('status'),
    message: str('message')
  };
  if (typeof emission.execution_count === 'number') {
    event.execution_count = emission.execution_count;
  }
  return event;
}

export const KERNEL_EVENT_SCHEMA =
  'https://schema.jupyter.org/notebook_dag/kernel/v1';

/**
 * What a kernel holds changed outside any run (a cell run by hand in the
 * notebook, a console): the block states in that kernel changed.
 */
export interface IKernelEvent {
  project_id: string;
  kernel_id: string;
  change: string;
  block_id: string;
}

/**
 * Read a kernel-state event out of an event-stream emission, or `null`.
 */
export function parseKernelEvent(emission: {
  [key: string]: unknown;
}): IKernelEvent | null {
  if (!emission || emission.schema_id !== KERNEL_EVENT_SCHEMA) {
    return null;
  }
  const str = (key: string): string =>
    typeof emission[key] === 'string' ? (emission[key] as string) : '';
  if (!str('project_id') || !str('kernel_id')) {
    return null;
  }
  return {
    project_id: str('project_id'),
    kernel_id: str('kernel_id'),
    change: str('change'),
    block_id: str('block_id')
  };
}
