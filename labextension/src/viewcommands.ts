/**
 * Every action of a DAG view as a JupyterLab command (palette, keyboard
 * shortcuts of `schema/plugin.json`, the node context menu): runs, layout and
 * display options, refresh and export. Each acts on the current DAG view, or
 * on the project given as `projectId`; the node commands on the node given as
 * `cellId`, else the node under the context menu, else the selected one.
 */
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import type { CommandRegistry } from '@lumino/commands';

import type { DagModel } from './model';
import type { ExportFormat } from './api';
import type { IRunRequest } from './types';

export namespace ViewCommandIDs {
  export const runAll = 'notebook-dag:view-run-all';
  export const runStale = 'notebook-dag:view-run-stale';
  export const runNode = 'notebook-dag:view-run-node';
  export const runUpstream = 'notebook-dag:view-run-upstream';
  export const runDownstream = 'notebook-dag:view-run-downstream';
  export const cancel = 'notebook-dag:view-cancel';
  export const direction = 'notebook-dag:view-toggle-direction';
  export const autoLayout = 'notebook-dag:view-auto-layout';
  export const sections = 'notebook-dag:view-toggle-sections';
  export const minimap = 'notebook-dag:view-toggle-minimap';
  export const allEdges = 'notebook-dag:view-toggle-implied-edges';
  export const datasets = 'notebook-dag:view-toggle-datasets';
  export const refresh = 'notebook-dag:view-refresh';
  export const force = 'notebook-dag:view-toggle-force';
  export const history = 'notebook-dag:view-show-history';
  export const datasetsTab = 'notebook-dag:view-show-datasets';
  export const hiddenEdges = 'notebook-dag:view-show-hidden-edges';
  export const find = 'notebook-dag:view-find-cell';
  export const exportAs = 'notebook-dag:view-export';
  export const schedule = 'notebook-dag:view-schedule';
}

/**
 * The export formats, as the palette lists them.
 */
export const EXPORT_ITEMS: Array<{ format: ExportFormat; label: string }> = [
  { format: 'py', label: 'Export DAG as Python Script' },
  { format: 'ipynb', label: 'Export DAG as Notebook in DAG Order' },
  { format: 'airflow', label: 'Export DAG as Airflow DAG' }
];

/**
 * The commands shown in the palette, in order.
 */
export const PALETTE_COMMANDS = [
  ViewCommandIDs.runAll,
  ViewCommandIDs.runStale,
  ViewCommandIDs.runNode,
  ViewCommandIDs.runUpstream,
  ViewCommandIDs.runDownstream,
  ViewCommandIDs.cancel,
  ViewCommandIDs.direction,
  ViewCommandIDs.autoLayout,
  ViewCommandIDs.sections,
  ViewCommandIDs.minimap,
  ViewCommandIDs.allEdges,
  ViewCommandIDs.datasets,
  ViewCommandIDs.refresh,
  ViewCommandIDs.force,
  ViewCommandIDs.history,
  ViewCommandIDs.datasetsTab,
  ViewCommandIDs.hiddenEdges,
  ViewCommandIDs.find,
  ViewCommandIDs.schedule
];

export interface IViewCommandOptions {
  /** the DAG view's model of `projectId`, or the current view's (null: none) */
  findModel(projectId: string | null): DagModel | null;
  /** the cell id of the node under the open context menu, if any */
  contextNode(): string | null;
  /** download the project of `model` as `format` */
  exportProject?(model: DagModel, format: ExportFormat): Promise<void>;
  /** whether the views have a datasets tab (the datasets plugin is on) */
  hasDatasetsTab?(): boolean;
  /** open the "Schedule…" dialog of the project of `model` */
  schedule?(model: DagModel): Promise<void>;
}

const ARGS = {
  args: {
    type: 'object',
    properties: {
      projectId: {
        type: 'string',
        description:
          'The project whose DAG view acts (default: the current one)'
      },
      cellId: {
        type: 'string',
        description:
          'The node (cell id) of a node command (default: the node under the context menu, else the selected one)'
      }
    }
  }
};

/**
 * The node a node command acts on.
 */
export function targetNode(
  model: DagModel | null,
  args: ReadonlyPartialJSONObject,
  contextNode: string | null
): string | null {
  if (!model?.dag) {
    return null;
  }
  const id =
    (typeof args.cellId === 'string' && args.cellId) ||
    contextNode ||
    model.selectedId;
  const node = model.dag.nodes.find(n => n.id === id);
  return node && node.cell_type === 'code' ? node.id : null;
}

export function registerViewCommands(
  commands: CommandRegistry,
  options: IViewCommandOptions
): void {
  const modelOf = (args: ReadonlyPartialJSONObject) =>
    options.findModel(
      typeof args.projectId === 'string' ? args.projectId : null
    );
  const canRun = (args: ReadonlyPartialJSONObject) => {
    const model = modelOf(args);
    return !!model?.dag && !model.isRunning;
  };
  const run =
    (mode: IRunRequest['mode']) => (args: ReadonlyPartialJSONObject) =>
      modelOf(args)?.runner.run(mode) ?? false;
  const node = (args: ReadonlyPartialJSONObject) =>
    targetNode(modelOf(args), args, options.contextNode());
  const runNode =
    (mode: IRunRequest['mode']) => (args: ReadonlyPartialJSONObject) => {
      const cellId = node(args);
      return cellId ? modelOf(args)!.runner.run(mode, cellId) : false;
    };
  const add = (id: string, spec: CommandRegistry.ICommandOptions) =>
    commands.addCommand(id, { describedBy: ARGS, ...spec });

  add(ViewCommandIDs.runAll, {
    label: 'Run All Cells in DAG Order',
    caption:
      'Run every code cell of the DAG (up-to-date ones are skipped unless forced)',
    isEnabled: canRun,
    execute: run('all')
  });
  add(ViewCommandIDs.runStale, {
    label: 'Run Stale Cells of the DAG',
    caption: 'Run only the cells that are not up to date in the kernel',
    isEnabled: canRun,
    execute: run('stale')
  });
  add(ViewCommandIDs.runNode, {
    label: 'Run Node',
    caption: 'Run the selected node alone',
    isEnabled: args => canRun(args) && !!node(args),
    execute: runNode('block')
  });
  add(ViewCommandIDs.runUpstream, {
    label: 'Run Node with Upstream',
    caption: 'Run the selected node and what it depends on',
    isEnabled: args => canRun(args) && !!node(args),
    execute: runNode('upstream')
  });
  add(ViewCommandIDs.runDownstream, {
    label: 'Run Node and Downstream',
    caption: 'Run the selected node and what depends on it',
    isEnabled: args => canRun(args) && !!node(args),
    execute: runNode('downstream')
  });
  add(ViewCommandIDs.cancel, {
    label: 'Cancel the DAG Run',
    isEnabled: args => !!modelOf(args)?.isRunning,
    execute: args => modelOf(args)?.runner.cancel()
  });
  add(ViewCommandIDs.direction, {
    label: 'Lay Out Left to Right',
    caption: 'Lay the DAG out left to right (else top-down)',
    isEnabled: args => !!modelOf(args),
    isToggled: args => modelOf(args)?.viewState.options.direction === 'LR',
    execute: args => {
      const state = modelOf(args)?.viewState;
      state?.setDirection(state.options.direction === 'TB' ? 'LR' : 'TB');
    }
  });
  add(ViewCommandIDs.autoLayout, {
    label: 'Auto Layout',
    caption: 'Forget the moved positions and lay everything out again',
    isEnabled: args => !!modelOf(args)?.dag,
    execute: args => modelOf(args)?.resetLayout()
  });
  add(ViewCommandIDs.sections, {
    label: 'Collapse Sections',
    caption: 'Collapse every markdown section into its heading, or expand them',
    isEnabled: args => (modelOf(args)?.viewState.view?.sections.size ?? 0) > 0,
    isToggled: args =>
      (modelOf(args)?.viewState.options.collapsed.length ?? 0) > 0,
    execute: args => {
      const state = modelOf(args)?.viewState;
      state?.setAllCollapsed(state.options.collapsed.length === 0);
    }
  });
  add(ViewCommandIDs.minimap, {
    label: 'Show Minimap',
    isEnabled: args => !!modelOf(args),
    isToggled: args => !!modelOf(args)?.viewState.minimapShown,
    execute: args => {
      const state = modelOf(args)?.viewState;
      state?.setShowMinimap(!state.minimapShown);
    }
  });
  add(ViewCommandIDs.allEdges, {
    label: 'Show Implied Edges',
    caption: 'Also draw the edges a longer path already implies',
    isEnabled: args => !!modelOf(args),
    isToggled: args => !!modelOf(args)?.viewState.options.showAllEdges,
    execute: args => {
      const state = modelOf(args)?.viewState;
      state?.setShowAllEdges(!state.options.showAllEdges);
    }
  });
  add(ViewCommandIDs.datasets, {
    label: 'Show Dataset Nodes',
    caption: 'Show the datasets the cells read and write',
    isEnabled: args => !!modelOf(args),
    isToggled: args => !!modelOf(args)?.viewState.options.showDatasets,
    execute: args => {
      const model = modelOf(args);
      model?.setShowDatasets(!model.viewState.options.showDatasets);
    }
  });
  add(ViewCommandIDs.refresh, {
    label: 'Reload the DAG',
    caption: 'Reload the DAG from the notebook',
    isEnabled: args => !!modelOf(args),
    execute: args => modelOf(args)?.refresh()
  });
  registerPanelCommands(commands, options, modelOf);
}

/**
 * Force, the side panel's tabs, "Find a cell" and export.
 */
function registerPanelCommands(
  commands: CommandRegistry,
  options: IViewCommandOptions,
  modelOf: (args: ReadonlyPartialJSONObject) => DagModel | null
): void {
  const add = (id: string, spec: CommandRegistry.ICommandOptions) =>
    commands.addCommand(id, { describedBy: ARGS, ...spec });
  add(ViewCommandIDs.force, {
    label: 'Force Runs of Up-to-Date Cells',
    caption: 'Execute blocks even when they are up to date in the kernel',
    isEnabled: args => !!modelOf(args),
    isToggled: args => !!modelOf(args)?.runner.force,
    execute: args => {
      const runner = modelOf(args)?.runner;
      if (runner) {
        runner.force = !runner.force;
      }
    }
  });
  const tab = (
    id: string,
    name: 'history' | 'datasets' | 'hidden',
    label: string,
    enabled: (model: DagModel) => boolean = () => true
  ) =>
    add(id, {
      label,
      isEnabled: args => {
        const model = modelOf(args);
        return !!model && enabled(model);
      },
      isToggled: args => modelOf(args)?.requests.sideTab === name,
      execute: args => modelOf(args)?.requests.toggleSideTab(name)
    });
  tab(ViewCommandIDs.history, 'history', 'Show Run History');
  tab(
    ViewCommandIDs.datasetsTab,
    'datasets',
    'Show Project Datasets',
    () => !!options.hasDatasetsTab?.()
  );
  tab(
    ViewCommandIDs.hiddenEdges,
    'hidden',
    'Show Hidden Edges',
    model => (model.dag?.hidden?.length ?? 0) > 0
  );
  add(ViewCommandIDs.find, {
    label: 'Find a Cell in the DAG',
    caption: 'Find a node by its cell number, title or a name it defines',
    isEnabled: args => !!modelOf(args)?.dag,
    execute: args => modelOf(args)?.requests.find()
  });
  add(ViewCommandIDs.schedule, {
    label: 'Schedule Runs of the DAG…',
    caption:
      'Run the DAG on a schedule through jupyter-scheduler (stale or every cell)',
    isEnabled: args => !!modelOf(args)?.project && !!options.schedule,
    execute: args => {
      const model = modelOf(args);
      return model && options.schedule ? options.schedule(model) : undefined;
    }
  });
  commands.addCommand(ViewCommandIDs.exportAs, {
    label: args =>
      EXPORT_ITEMS.find(item => item.format === args.format)?.label ??
      'Export DAG',
    isEnabled: args => !!modelOf(args)?.dag && !!options.exportProject,
    execute: args => {
      const model = modelOf(args);
      const format = EXPORT_ITEMS.find(item => item.format === args.format);
      return model && format && options.exportProject
        ? options.exportProject(model, format.format)
        : undefined;
    },
    describedBy: {
      args: {
        type: 'object',
        properties: {
          ...ARGS.args.properties,
          format: {
            type: 'string',
            enum: EXPORT_ITEMS.map(item => item.format),
            description: 'py, ipynb or airflow'
          }
        },
        required: ['format']
      }
    }
  });
}
