/**
 * The toolbar of a DAG view: runs, kernel, new blocks, layout, datasets,
 * refresh, export.
 */
import * as React from 'react';

import { addBlockFromView } from './addblock';
import { DagApi, ExportFormat } from './api';
import { describeError } from './handler';
import { DagModel } from './model';
import { statusLabel } from './nodes';
import { IDagViewServices, IKernelChoice } from './services';

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
      <button
        className="jp-Button jp-mod-styled jp-mod-accept jp-NotebookDag-runAll"
        onClick={() => void model.runner.run('all')}
        disabled={!dag || running}
        title="Run every code cell of the DAG in order (up-to-date ones are skipped unless forced)"
      >
        Run all
      </button>
      <button
        className="jp-Button jp-mod-styled jp-NotebookDag-runStale"
        onClick={() => void model.runner.run('stale')}
        disabled={!dag || running}
        title="Run only the cells that are not up to date in the kernel"
      >
        Run stale
      </button>
      <button
        className="jp-Button jp-mod-styled jp-NotebookDag-cancel"
        onClick={() => void model.runner.cancel()}
        disabled={!running}
        title="Cancel the run under way"
      >
        Cancel
      </button>
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
      <button
        className="jp-Button jp-mod-styled jp-NotebookDag-addCode"
        onClick={() => void addBlockFromView(model, services, 'code')}
        disabled={!dag}
        title="Add a code cell after the selected node (at the end when none is) and edit it"
      >
        + Code
      </button>
      <button
        className="jp-Button jp-mod-styled jp-NotebookDag-addSql"
        onClick={() => void addBlockFromView(model, services, 'sql')}
        disabled={!dag}
        title="Add a SQL cell (%%sql, JupySQL on DuckDB) querying the project's datasets after the selected node (at the end when none is) and edit it"
      >
        + SQL
      </button>
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
      <button
        className="jp-Button jp-mod-styled jp-NotebookDag-direction"
        aria-pressed={options.direction === 'LR'}
        onClick={() =>
          model.viewState.setDirection(options.direction === 'TB' ? 'LR' : 'TB')
        }
        title="Lay the DAG out top-down or left to right"
      >
        {options.direction === 'TB' ? 'Top-down ⇣' : 'Left-right ⇢'}
      </button>
      <button
        className="jp-Button jp-mod-styled jp-NotebookDag-autoLayout"
        onClick={() => void model.resetLayout()}
        disabled={!dag}
        title="Forget the moved positions and lay everything out again"
      >
        Auto layout
      </button>
      {sections > 0 && (
        <button
          className="jp-Button jp-mod-styled jp-NotebookDag-collapseAll"
          onClick={() =>
            model.viewState.setAllCollapsed(options.collapsed.length === 0)
          }
          title="Collapse every markdown section into its heading, or expand them"
        >
          {options.collapsed.length === 0
            ? 'Collapse sections'
            : 'Expand sections'}
        </button>
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
        <span className="jp-NotebookDag-fieldLabel">Datasets</span>
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
  const exportAs = async (format: ExportFormat) => {
    try {
      const api = new DagApi(services.serverSettings);
      const file = await api.exportProject(model.projectId, format);
      (services.download ?? downloadBlob)(file.filename, file.blob);
      model.notify('info', `Exported ${file.filename}.`);
    } catch (error) {
      model.notify('error', `Cannot export: ${describeError(error)}`);
    }
  };
  const tab = (name: string, label: string, text: string) => (
    <button
      className={`jp-Button jp-mod-styled jp-NotebookDag-tabToggle${
        sideTab === name ? ' jp-mod-active' : ''
      }`}
      aria-pressed={sideTab === name}
      onClick={() => onSideTab(sideTab === name ? null : name)}
      title={label}
    >
      {text}
    </button>
  );
  return (
    <div className="jp-NotebookDag-group" role="group" aria-label="Project">
      <button
        className="jp-Button jp-mod-styled jp-NotebookDag-refresh"
        onClick={() => void model.refresh()}
        disabled={loading}
        title="Reload the DAG from the notebook"
      >
        Refresh
      </button>
      <ExportMenu onExport={format => void exportAs(format)} />
      {tab('history', 'Show the past runs', 'History')}
      {hidden > 0 &&
        tab('hidden', 'Inferred edges you hid', `Hidden edges (${hidden})`)}
      {services.mounts?.datasetsTab && tab('datasets', 'Datasets', 'Datasets')}
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
