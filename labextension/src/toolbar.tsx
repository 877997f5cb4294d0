/**
 * The toolbar of a DAG view: runs, kernel, new blocks, layout, datasets,
 * refresh, export.
 */
import {
  addIcon,
  caretDownIcon,
  caretRightIcon,
  collapseAllIcon,
  expandAllIcon,
  fastForwardIcon,
  filterIcon,
  historyIcon,
  LabIcon,
  refreshIcon,
  runIcon,
  stopIcon,
  tableRowsIcon,
  ToolbarButtonComponent,
  treeViewIcon
} from '@jupyterlab/ui-components';
import * as React from 'react';

import { addBlockFromView } from './addblock';
import { DagApi, ExportFormat } from './api';
import { describeError } from './handler';
import { DagModel } from './model';
import { statusLabel } from './nodes';
import { clockIcon } from './icons';
import { IDagViewServices, IKernelChoice } from './services';
import { ViewCommandIDs } from './viewcommands';

export const EXPORT_FORMATS: Array<{ format: ExportFormat; label: string }> = [
  { format: 'py', label: 'Python script (.py)' },
  { format: 'ipynb', label: 'Notebook in DAG order (.ipynb)' },
  { format: 'airflow', label: 'Airflow DAG (.py)' }
];

/**
 * Save a blob as a file through a temporary link.
 */
export function downloadBlob(filename: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.style.display = 'none';
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * Download the project as a script, a notebook in DAG order or an Airflow
 * DAG; the view's notice says how it went.
 */
export async function exportProjectFile(
  model: DagModel,
  services: IDagViewServices,
  format: ExportFormat
): Promise<void> {
  try {
    const api = new DagApi(services.serverSettings);
    const file = await api.exportProject(model.projectId, format);
    (services.download ?? downloadBlob)(file.filename, file.blob);
    model.notify('info', `Exported ${file.filename}.`);
  } catch (error) {
    model.notify('error', `Cannot export: ${describeError(error)}`);
  }
}

function ExportMenu(props: {
  onExport: (format: ExportFormat) => void;
}): JSX.Element {
  const [open, setOpen] = React.useState(false);
  const menu = React.useRef<HTMLDivElement>(null);
  const button = React.useRef<HTMLButtonElement>(null);
  React.useEffect(() => {
    if (!open) {
      return;
    }
    menu.current?.querySelector<HTMLButtonElement>('button')?.focus();
    const close = (event: MouseEvent) => {
      if (
        !menu.current?.contains(event.target as Node) &&
        !button.current?.contains(event.target as Node)
      ) {
        setOpen(false);
      }
    };
    document.addEventListener('mousedown', close);
    return () => document.removeEventListener('mousedown', close);
  }, [open]);
  const onKeyDown = (event: React.KeyboardEvent) => {
    const items: HTMLButtonElement[] = menu.current
      ? Array.from(menu.current.querySelectorAll<HTMLButtonElement>('button'))
      : [];
    const at = items.indexOf(document.activeElement as HTMLButtonElement);
    if (event.key === 'Escape') {
      event.stopPropagation();
      setOpen(false);
      button.current?.focus();
    } else if (event.key === 'ArrowDown') {
      event.preventDefault();
      items[(at + 1) % items.length]?.focus();
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      items[(at - 1 + items.length) % items.length]?.focus();
    }
  };
  return (
    <span className="jp-NotebookDag-menuHost">
      <button
        ref={button}
        className="jp-Button jp-mod-styled jp-NotebookDag-export"
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
        title="Export the project as a file"
      >
        Export ▾
      </button>
      {open && (
        <div
          ref={menu}
          className="jp-NotebookDag-menu"
          role="menu"
          aria-label="Export formats"
          onKeyDown={onKeyDown}
        >
          {EXPORT_FORMATS.map(item => (
            <button
              key={item.format}
              role="menuitem"
              className="jp-NotebookDag-menuItem"
              onClick={() => {
                setOpen(false);
                props.onExport(item.format);
              }}
            >
              {item.label}
            </button>
          ))}
        </div>
      )}
    </span>
  );
}

function KernelSelect(props: {
  model: DagModel;
  services: IDagViewServices;
}): JSX.Element {
  const { model, services } = props;
  const [choices, setChoices] = React.useState<IKernelChoice[]>([]);
  const path = model.project?.notebook_path ?? '';
  const load = React.useCallback(async () => {
    if (!services.kernelChoices || !path) {
      return;
    }
    try {
      setChoices(await services.kernelChoices(path));
    } catch (error) {
      console.warn('notebook_dag: cannot list the kernels', error);
    }
  }, [services, path]);
  React.useEffect(() => {
    void load();
  }, [load]);
  const value = model.runner.kernelId ?? '';
  React.useEffect(() => {
    if (value && !choices.some(c => c.id === value)) {
      void load(); // e.g. the notebook's session kernel, followed
    }
  }, [value]);
  // The kernel the user chose went away: back to the project's.
  React.useEffect(() => {
    if (
      model.runner.kernelChosen &&
      value &&
      choices.length &&
      !choices.some(c => c.id === value)
    ) {
      model.runner.chooseKernel(null);
    }
  }, [choices, value]);
  const kernelName = model.project?.kernel_name;
  return (
    <label className="jp-NotebookDag-field">
      <span className="jp-NotebookDag-fieldLabel">Kernel</span>
      <select
        className="jp-NotebookDag-kernel"
        aria-label="Kernel the runs go to"
        value={value}
        onFocus={() => void load()}
        onChange={event =>
          model.runner.chooseKernel(event.target.value || null)
        }
      >
        <option value="">
          Project kernel{kernelName ? ` (${kernelName})` : ''}
        </option>
        {choices.map(choice => (
          <option key={choice.id} value={choice.id}>
            {choice.label}
          </option>
        ))}
        {value && !choices.some(c => c.id === value) && (
          <option value={value}>Kernel {value.slice(0, 8)}</option>
        )}
      </select>
    </label>
  );
}

interface IGroupProps {
  model: DagModel;
  services: IDagViewServices;
}

function RunsGroup(props: IGroupProps): JSX.Element {
  const { model, services } = props;
  const { dag } = model;
  const running = model.isRunning;
  return (
    <div className="jp-NotebookDag-group" role="group" aria-label="Runs">
      <ToolbarButtonComponent
        className="jp-NotebookDag-runAll"
        icon={runIcon}
        label="Run all"
        tooltip="Run every code cell of the DAG in order (up-to-date ones are skipped unless forced)"
        onClick={() => void model.runner.run('all')}
        enabled={!!dag && !running}
      />
      <ToolbarButtonComponent
        className="jp-NotebookDag-runStale"
        icon={fastForwardIcon}
        label="Run stale"
        tooltip="Run only the cells that are not up to date in the kernel"
        onClick={() => void model.runner.run('stale')}
        enabled={!!dag && !running}
      />
      <ToolbarButtonComponent
        className="jp-NotebookDag-cancel"
        icon={stopIcon}
        label="Cancel"
        tooltip="Cancel the run under way"
        onClick={() => void model.runner.cancel()}
        enabled={running}
      />
      <KernelSelect model={model} services={services} />
      <label
        className="jp-NotebookDag-field"
        title="Execute blocks even when they are up to date in the kernel"
      >
        <input
          type="checkbox"
          checked={model.runner.force}
          onChange={event => (model.runner.force = event.target.checked)}
        />
        <span className="jp-NotebookDag-fieldLabel">Force</span>
      </label>
      <label
        className="jp-NotebookDag-field"
        title="Blocks run at once: independent branches go to warm worker kernels and their results come back to the project kernel (runs on a chosen kernel are sequential)"
      >
        <span className="jp-NotebookDag-fieldLabel">Parallel</span>
        <select
          className="jp-NotebookDag-parallel"
          aria-label="Blocks at once"
          value={model.runner.parallel ?? ''}
          disabled={!!model.runner.kernelId}
          onChange={event =>
            (model.runner.parallel = Number(event.target.value) || null)
          }
        >
          <option value="">Server default</option>
          {[1, 2, 4].map(n => (
            <option key={n} value={n}>
              {n === 1 ? '1 (sequential)' : `${n} blocks`}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}

function BlocksGroup(props: IGroupProps): JSX.Element {
  const { model, services } = props;
  const { dag } = model;
  return (
    <div className="jp-NotebookDag-group" role="group" aria-label="Blocks">
      <ToolbarButtonComponent
        className="jp-NotebookDag-addCode"
        icon={addIcon}
        label="Code"
        tooltip="Add a code cell after the selected node (at the end when none is) and edit it"
        onClick={() => void addBlockFromView(model, services, 'code')}
        enabled={!!dag}
      />
      <ToolbarButtonComponent
        className="jp-NotebookDag-addSql"
        icon={addIcon}
        label="SQL"
        tooltip="Add a SQL cell (%%sql, JupySQL on DuckDB) querying the project's datasets after the selected node (at the end when none is) and edit it"
        onClick={() => void addBlockFromView(model, services, 'sql')}
        enabled={!!dag}
      />
    </div>
  );
}

function LayoutGroup(props: { model: DagModel }): JSX.Element {
  const { model } = props;
  const { dag } = model;
  const options = model.viewState.options;
  const sections = model.viewState.view?.sections.size ?? 0;
  return (
    <div className="jp-NotebookDag-group" role="group" aria-label="Layout">
      <ToolbarButtonComponent
        className="jp-NotebookDag-direction"
        icon={options.direction === 'TB' ? caretDownIcon : caretRightIcon}
        label={options.direction === 'TB' ? 'Top-down ⇣' : 'Left-right ⇢'}
        pressed={options.direction === 'LR'}
        tooltip="Lay the DAG out top-down or left to right"
        onClick={() =>
          model.viewState.setDirection(options.direction === 'TB' ? 'LR' : 'TB')
        }
      />
      <ToolbarButtonComponent
        className="jp-NotebookDag-autoLayout"
        icon={treeViewIcon}
        label="Auto layout"
        tooltip="Forget the moved positions and lay everything out again"
        onClick={() => void model.resetLayout()}
        enabled={!!dag}
      />
      {sections > 0 && (
        <ToolbarButtonComponent
          className="jp-NotebookDag-collapseAll"
          icon={
            options.collapsed.length === 0 ? collapseAllIcon : expandAllIcon
          }
          label={
            options.collapsed.length === 0
              ? 'Collapse sections'
              : 'Expand sections'
          }
          tooltip="Collapse every markdown section into its heading, or expand them"
          onClick={() =>
            model.viewState.setAllCollapsed(options.collapsed.length === 0)
          }
        />
      )}
      <label
        className="jp-NotebookDag-field"
        title="Show a minimap of the whole DAG"
      >
        <input
          type="checkbox"
          checked={model.viewState.minimapShown}
          onChange={event =>
            model.viewState.setShowMinimap(event.target.checked)
          }
        />
        <span className="jp-NotebookDag-fieldLabel">Minimap</span>
      </label>
      <label
        className="jp-NotebookDag-field"
        title="Also draw the edges a longer path already implies (hidden by default; their names show on the path)"
      >
        <input
          type="checkbox"
          checked={options.showAllEdges}
          onChange={event =>
            model.viewState.setShowAllEdges(event.target.checked)
          }
        />
        <span className="jp-NotebookDag-fieldLabel">All edges</span>
      </label>
      <label
        className="jp-NotebookDag-field"
        title="Show the datasets the cells read and write"
      >
        <input
          type="checkbox"
          checked={options.showDatasets}
          onChange={event => model.setShowDatasets(event.target.checked)}
        />
        <span className="jp-NotebookDag-fieldLabel">Dataset nodes</span>
      </label>
    </div>
  );
}

function ProjectGroup(
  props: IGroupProps & {
    sideTab: string | null;
    onSideTab: (tab: string | null) => void;
  }
): JSX.Element {
  const { model, services, sideTab, onSideTab } = props;
  const { dag, loading } = model;
  const hidden = dag?.hidden?.length ?? 0;
  const exportAs = (format: ExportFormat) =>
    exportProjectFile(model, services, format);
  const tab = (name: string, label: string, text: string, icon: LabIcon) => (
    <ToolbarButtonComponent
      className={`jp-NotebookDag-tabToggle${
        sideTab === name ? ' jp-mod-active' : ''
      }`}
      icon={icon}
      label={text}
      pressed={sideTab === name}
      tooltip={label}
      onClick={() => onSideTab(sideTab === name ? null : name)}
    />
  );
  return (
    <div className="jp-NotebookDag-group" role="group" aria-label="Project">
      <ToolbarButtonComponent
        className="jp-NotebookDag-refresh"
        icon={refreshIcon}
        label="Refresh"
        tooltip="Reload the DAG from the notebook"
        onClick={() => void model.refresh()}
        enabled={!loading}
      />
      <ExportMenu onExport={format => void exportAs(format)} />
      {services.commands && (
        <ToolbarButtonComponent
          className="jp-NotebookDag-scheduleButton"
          icon={clockIcon}
          label="Schedule…"
          tooltip="Run the DAG on a schedule (jupyter-scheduler)"
          onClick={() =>
            void services.commands?.execute(ViewCommandIDs.schedule, {
              projectId: model.projectId
            })
          }
          enabled={!!model.project}
        />
      )}
      {tab('history', 'Show the past runs', 'History', historyIcon)}
      {hidden > 0 &&
        tab(
          'hidden',
          'Inferred edges you hid',
          `Hidden edges (${hidden})`,
          filterIcon
        )}
      {services.mounts?.datasetsTab &&
        tab('datasets', 'Datasets', 'Datasets', tableRowsIcon)}
    </div>
  );
}

export function DagToolbar(props: {
  model: DagModel;
  services: IDagViewServices;
  sideTab: string | null;
  onSideTab: (tab: string | null) => void;
}): JSX.Element {
  const { model, services } = props;
  const { statuses } = model;
  return (
    <div className="jp-NotebookDag-toolbar" role="toolbar" aria-label="DAG">
      <RunsGroup model={model} services={services} />
      <BlocksGroup model={model} services={services} />
      <LayoutGroup model={model} />
      <ProjectGroup {...props} />
      <span
        className="jp-NotebookDag-runState"
        data-testid="dag-run-status"
        data-status={statuses.runStatus ?? ''}
        role="status"
        aria-live="polite"
      >
        {statuses.runId
          ? `Run ${statuses.runId.slice(0, 8)}: ${statusLabel(statuses.runStatus)}`
          : ''}
        {statuses.message ? ` — ${statuses.message}` : ''}
      </span>
    </div>
  );
}
