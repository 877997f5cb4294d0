/**
 * The DAG view: toolbar, React Flow canvas and side panel, with live
 * statuses — and the Lumino widget holding it.
 */
import { ReactWidget } from '@jupyterlab/apputils';
import { ColorMode, ReactFlowProvider } from '@xyflow/react';
import * as React from 'react';

import { DagCanvas, IRenderInfo } from './canvas';
import { DagModel } from './model';
import { IMountContext } from './mounts';
import { INodeActions, NodeActionsContext, statusLabel } from './nodes';
import { IDagViewServices } from './services';
import { SidePanel, SideTab } from './sidepanel';
import { DagToolbar } from './toolbar';

/**
 * Re-render whenever the model changes.
 */
function useModel(model: DagModel): number {
  const [version, setVersion] = React.useState(0);
  React.useEffect(() => {
    const onChange = () => setVersion(v => v + 1);
    model.changed.connect(onChange);
    return () => {
      model.changed.disconnect(onChange);
    };
  }, [model]);
  return version;
}

function currentColorMode(): ColorMode {
  return document.body.dataset.jpThemeLight === 'false' ? 'dark' : 'light';
}

/**
 * Light or dark, following JupyterLab's theme as it changes.
 */
export function useColorMode(): ColorMode {
  const [mode, setMode] = React.useState<ColorMode>(currentColorMode);
  React.useEffect(() => {
    const observer = new MutationObserver(() => setMode(currentColorMode()));
    observer.observe(document.body, {
      attributes: true,
      attributeFilter: ['data-jp-theme-light']
    });
    return () => observer.disconnect();
  }, []);
  return mode;
}

function Notice(props: { model: DagModel }): JSX.Element | null {
  const { model } = props;
  const notice = model.notice;
  if (!notice) {
    return null;
  }
  return (
    <div
      className={`jp-NotebookDag-notice jp-NotebookDag-notice-${notice.kind}`}
      role={notice.kind === 'error' ? 'alert' : 'status'}
      data-testid="dag-notice"
      data-kind={notice.kind}
    >
      <span className="jp-NotebookDag-noticeText">{notice.text}</span>
      <button
        className="jp-NotebookDag-panelClose"
        aria-label="Dismiss the message"
        title="Dismiss"
        onClick={() => model.dismissNotice()}
      >
        ×
      </button>
    </div>
  );
}

function StatusSummary(props: { model: DagModel }): JSX.Element {
  const { model } = props;
  const { dag, statuses } = model;
  const counts = React.useMemo(() => {
    const result: { [status: string]: number } = {};
    for (const node of dag?.nodes ?? []) {
      if (node.cell_type === 'code') {
        let status = statuses.blocks[node.id] ?? node.status ?? 'never_run';
        // (states in the kernel runs go to: GET /dag?kernel_id=)
        const state = statuses.states[node.id] ?? node.state;
        if (
          state === 'stale' &&
          (status === 'succeeded' || status === 'up_to_date')
        ) {
          status = 'stale';
        }
        result[status] = (result[status] ?? 0) + 1;
      }
    }
    return result;
  }, [dag, statuses.blocks, statuses.states]);
  return (
    <div className="jp-NotebookDag-summary" aria-label="Summary">
      {model.project?.name ? <b>{model.project.name}</b> : null}
      {dag ? ` ${dag.nodes.length} cells, ${dag.edges.length} edges` : ''}
      {Object.entries(counts).map(([status, n]) => (
        <span
          key={status}
          className={`jp-NotebookDag-badge jp-NotebookDag-status-${status}`}
        >
          {n} {statusLabel(status)}
        </span>
      ))}
    </div>
  );
}

/**
 * The whole view: toolbar, canvas and side panel.
 */
export function DagView(props: {
  model: DagModel;
  services?: IDagViewServices;
}): JSX.Element {
  const { model } = props;
  const services = props.services ?? {};
  const version = useModel(model);
  const colorMode = useColorMode();
  const { dag, statuses, error, loading } = model;
  const [tab, setTab] = React.useState<SideTab | null>(null);
  const [editing, setEditing] = React.useState<string | null>(null);
  const [render, setRender] = React.useState<IRenderInfo | null>(null);

  // A new selection opens its details.
  const selection = model.selectedId ?? model.selectedEdgeId;
  React.useEffect(() => {
    if (selection) {
      setTab('details');
    } else if (tab === 'details') {
      setTab(null);
    }
    if (editing && editing !== model.selectedId) {
      setEditing(null);
    }
  }, [selection]);

  // A block added from a command: its source editor opens.
  React.useEffect(() => {
    const onEdit = (_: DagModel, cellId: string) => {
      setTab('details');
      setEditing(cellId);
    };
    model.editRequested.connect(onEdit);
    return () => {
      model.editRequested.disconnect(onEdit);
    };
  }, [model]);

  // Commands open side tabs; the view tells them which one it shows.
  React.useEffect(() => {
    const onRequest = (_: unknown, next: SideTab | null) => setTab(next);
    model.requests.sideTabRequested.connect(onRequest);
    return () => {
      model.requests.sideTabRequested.disconnect(onRequest);
    };
  }, [model]);
  React.useEffect(() => model.requests.noteSideTab(tab), [model, tab]);

  // A run shown from elsewhere (a notification) opens the history.
  const historySerial = model.historyRequest?.serial ?? 0;
  React.useEffect(() => {
    if (historySerial) {
      setTab('history');
    }
  }, [historySerial]);

  const actions = React.useMemo<INodeActions>(
    () => ({
      run: (mode, cellId) => void model.runner.run(mode, cellId),
      openInNotebook: cellId => {
        const path = model.project?.notebook_path;
        if (path && services.openCell) {
          void services.openCell(path, cellId);
        }
      },
      edit: cellId => {
        model.select(cellId);
        setTab('details');
        setEditing(cellId);
      },
      toggleSection: cellId => model.viewState.toggleSection(cellId)
    }),
    [model, services]
  );

  const mountContext = React.useMemo<IMountContext>(
    () => ({
      projectId: model.projectId,
      notebookPath: model.project?.notebook_path ?? '',
      serverSettings: services.serverSettings!,
      refresh: () => void model.refresh(),
      selectNode: (nodeId: string) => model.select(nodeId)
    }),
    [model, services, model.project?.notebook_path]
  );

  return (
    <div
      className="jp-NotebookDag"
      data-project-id={model.projectId}
      data-run-id={statuses.runId ?? ''}
      data-run-status={statuses.runStatus ?? ''}
      data-event-count={statuses.eventCount}
      data-direction={model.viewState.options.direction}
      data-node-count={render?.nodes ?? ''}
      data-edge-count={render?.edges ?? ''}
      data-layout-ms={render ? render.layoutMs.toFixed(1) : ''}
      data-layout-engine={render?.layoutEngine ?? ''}
      data-render-ms={render ? render.renderMs.toFixed(1) : ''}
    >
      <DagToolbar
        model={model}
        services={services}
        sideTab={tab}
        onSideTab={next => setTab(next as SideTab | null)}
      />
      <StatusSummary model={model} />
      {error && (
        <div className="jp-NotebookDag-error" role="alert">
          {error}
        </div>
      )}
      <Notice model={model} />
      <div className="jp-NotebookDag-body">
        <div className="jp-NotebookDag-canvas">
          {!dag && loading && (
            <div className="jp-NotebookDag-placeholder">Loading the DAG…</div>
          )}
          {dag && dag.nodes.length === 0 && (
            <div className="jp-NotebookDag-placeholder">
              This notebook has no cells.
            </div>
          )}
          <NodeActionsContext.Provider value={actions}>
            <ReactFlowProvider>
              <DagCanvas
                model={model}
                version={version}
                colorMode={colorMode}
                onRendered={setRender}
              />
            </ReactFlowProvider>
          </NodeActionsContext.Provider>
        </div>
        {tab && (
          <SidePanel
            model={model}
            services={services}
            tab={tab}
            onTab={setTab}
            editing={!!editing && editing === model.selectedId}
            onEdit={on => setEditing(on ? model.selectedId : null)}
            mountContext={mountContext}
          />
        )}
      </div>
    </div>
  );
}

/**
 * A Lumino widget holding the DAG view of one project.
 */
export class DagWidget extends ReactWidget {
  constructor(model: DagModel, services: IDagViewServices = {}) {
    super();
    this.model = model;
    this.services = services;
    this.addClass('jp-NotebookDag-widget');
  }

  readonly model: DagModel;
  readonly services: IDagViewServices;

  render(): JSX.Element {
    return <DagView model={this.model} services={this.services} />;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.dispose();
    super.dispose();
  }
}
