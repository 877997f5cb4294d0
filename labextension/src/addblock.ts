/**
 * "Add code block" and "Add SQL block" of the DAG view: a new cell after the
 * selected node (at the end when none is), then selected with its source
 * editor open. The commands (see `index.ts`), the toolbar and the node panel
 * all come here.
 */
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import type { CommandRegistry } from '@lumino/commands';

import type { DagModel } from './model';
import type { IDagViewServices } from './services';
import {
  CODE_BLOCK_SOURCE,
  freshName,
  IDatasetName,
  RESULT_NAME,
  sqlBlockSource,
  templateTable
} from './sqlblocks';

export type BlockKind = 'code' | 'sql';

/**
 * Command ids.
 */
export namespace AddBlockCommandIDs {
  export const addCode = 'notebook-dag:add-code-block';
  export const addSql = 'notebook-dag:add-sql-block';
}

export function addBlockCommand(kind: BlockKind): string {
  return kind === 'sql'
    ? AddBlockCommandIDs.addSql
    : AddBlockCommandIDs.addCode;
}

export interface IAddBlockOptions {
  /**
   * The datasets the user may read (the SQL template reads the project's
   * first); failures are ignored.
   */
  datasets?: () => Promise<readonly IDatasetName[]>;
}

/**
 * The cell a new block goes after: `afterId` when given (`null`: the end),
 * else the selected cell (datasets and vanished cells do not count).
 */
export function insertionAnchor(
  model: Pick<DagModel, 'dag' | 'selectedId'>,
  afterId?: string | null
): string | null {
  const wanted = afterId === undefined ? model.selectedId : afterId;
  if (!wanted || !model.dag?.nodes.some(node => node.id === wanted)) {
    return null;
  }
  return wanted;
}

/**
 * The source of a new block of `kind` going after `anchor`.
 */
export async function newBlockSource(
  model: Pick<DagModel, 'dag' | 'projectId'>,
  kind: BlockKind,
  anchor: string | null,
  options: IAddBlockOptions = {}
): Promise<string> {
  if (kind !== 'sql') {
    return CODE_BLOCK_SOURCE;
  }
  let datasets: readonly IDatasetName[] = [];
  try {
    datasets = (await options.datasets?.()) ?? [];
  } catch (error) {
    console.warn('notebook_dag: cannot list the datasets', error);
  }
  const nodes = model.dag?.nodes ?? [];
  const upstream = nodes.find(node => node.id === anchor)?.defines ?? [];
  const taken: string[] = [];
  for (const node of nodes) {
    taken.push(...(node.defines ?? []));
  }
  return sqlBlockSource(
    templateTable(model.projectId, datasets, upstream),
    freshName(RESULT_NAME, taken)
  );
}

/**
 * Add a block of `kind` after `afterId` (default: the selected node; `null`:
 * the end), then select it and open its source editor.
 *
 * @returns the new cell's id, `null` when it could not be added (the view's
 *   notice says why)
 */
export async function addBlockToView(
  model: DagModel,
  kind: BlockKind,
  afterId?: string | null,
  options: IAddBlockOptions = {}
): Promise<string | null> {
  const anchor = insertionAnchor(model, afterId);
  const source = await newBlockSource(model, kind, anchor, options);
  const id = await model.editor.addBlock(
    anchor,
    source,
    kind === 'sql' ? 'a SQL block' : 'a code block'
  );
  if (id && !model.isDisposed) {
    model.requestEdit(id);
  }
  return id;
}

/**
 * What the view's buttons do: run the registered command when the view has
 * JupyterLab's commands, else add the block directly.
 */
export function addBlockFromView(
  model: DagModel,
  services: IDagViewServices,
  kind: BlockKind,
  afterId?: string | null
): Promise<unknown> {
  if (services.commands) {
    const args: { [key: string]: string | null } = {
      projectId: model.projectId
    };
    if (afterId !== undefined) {
      args.afterId = afterId;
    }
    return services.commands.execute(addBlockCommand(kind), args);
  }
  const datasets = services.datasets;
  return addBlockToView(model, kind, afterId, {
    datasets: datasets ? () => datasets(model.projectId) : undefined
  });
}

/**
 * What the commands need of the application.
 */
export interface IAddBlockCommandOptions {
  /**
   * The DAG view of `projectId`, or the current one when `null`.
   */
  findModel(projectId: string | null): DagModel | null;
  datasets?: (projectId: string) => Promise<readonly IDatasetName[]>;
}

/**
 * Register "Add code block" and "Add SQL block". Arguments (both optional):
 * `projectId` (default: the current DAG view) and `afterId` (default: the
 * selected node; `null` or `''`: the end of the notebook).
 */
export function registerAddBlockCommands(
  commands: CommandRegistry,
  options: IAddBlockCommandOptions
): void {
  const modelOf = (args: ReadonlyPartialJSONObject): DagModel | null =>
    options.findModel(
      typeof args.projectId === 'string' ? args.projectId : null
    );
  const describedBy = {
    args: {
      type: 'object',
      properties: {
        projectId: {
          type: 'string',
          description:
            'The project whose DAG view gets the block (default: the current one)'
        },
        afterId: {
          type: ['string', 'null'],
          description:
            'Cell id the block goes after (default: the selected node; null: the end)'
        }
      }
    }
  };
  const add = (kind: BlockKind) => (args: ReadonlyPartialJSONObject) => {
    const model = modelOf(args);
    if (!model) {
      return Promise.resolve(null);
    }
    const afterId =
      args.afterId === undefined
        ? undefined
        : typeof args.afterId === 'string' && args.afterId
          ? args.afterId
          : null;
    const datasets = options.datasets;
    return addBlockToView(model, kind, afterId, {
      datasets: datasets ? () => datasets(model.projectId) : undefined
    });
  };
  commands.addCommand(AddBlockCommandIDs.addCode, {
    label: 'Add Code Block',
    caption:
      'Add a code cell after the selected node of the DAG view (at the end when none is) and edit it',
    isEnabled: args => !!modelOf(args)?.dag,
    execute: add('code'),
    describedBy
  });
  commands.addCommand(AddBlockCommandIDs.addSql, {
    label: 'Add SQL Block',
    caption:
      "Add a SQL cell (%%sql, JupySQL on DuckDB) over the project's datasets after the selected node of the DAG view and edit it",
    isEnabled: args => !!modelOf(args)?.dag,
    execute: add('sql'),
    describedBy
  });
}
