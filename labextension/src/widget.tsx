/**
 * The DAG view: a React Flow drawing of a project's DAG with live statuses.
 */
import { ReactWidget } from '@jupyterlab/apputils';
import {
  Background,
  ColorMode,
  Controls,
  NodeTypes,
  ReactFlow,
  ReactFlowProvider,
  useNodesState,
  useReactFlow
} from '@xyflow/react';
import * as React from 'react';

import { OutputPanel, DagCellNode, statusLabel } from './components';
import { DAG_NODE_TYPE, DagFlowNode, toFlowEdges, toFlowNodes } from './graph';
import { layoutGraph } from './layout';
import { DagModel } from './model';
import { isActiveStatus } from './types';

const NODE_TYPES: NodeTypes = { [DAG_NODE_TYPE]: DagCellNode };

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

function colorMode(): ColorMode {
  return document.body.dataset.jpThemeLight === 'false' ? 'dark' : 'light';
}

/**
 * Fit the view whenever the set of nodes changes.
 */
function FitOnChange(props: { structure: string }): null {
  const flow = useReactFlow();
  React.useEffect(() => {
    const timer = setTimeout(() => {
      void flow.fitView({ padding: 0.15, maxZoom: 1.2 });
    }, 50);
    return () => clearTimeout(timer);
  }, [props.structure]);
  return null;
}

function DagCanvas(props: { model: DagModel; version: number }): JSX.Element {
  const { model } = props;
  const dag = model.dag;
  const blocks = model.statuses.blocks;
  const selectedId = model.selectedId;

  // Node ids and edges: a new layout only when these change.
  const structure = React.useMemo(() => {
    if (!dag) {
      return '';
    }
    const ids = dag.nodes.map(n => n.id).join(',');
    const links = dag.edges.map(e => `${e.source}>${e.target}`).join(',');
    return `${ids}|${links}`;
  }, [dag]);

  const edges = React.useMemo(() => (dag ? toFlowEdges(dag) : []), [dag]);

  const positions = React.useMemo(() => {
    if (!dag) {
      return new Map<string, { x: number; y: number }>();
    }
    const laidOut = layoutGraph(toFlowNodes(dag), edges, { direction: 'TB' });
    return new Map(laidOut.map(node => [node.id, node.position]));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [structure]);

  const [nodes, setNodes, onNodesChange] = useNodesState<DagFlowNode>([]);
  const lastStructure = React.useRef('');

  React.useEffect(() => {
    if (!dag) {
      setNodes([]);
      return;
    }
    const fresh = toFlowNodes(dag, blocks, selectedId);
    const relayout = lastStructure.current !== structure;
    lastStructure.current = structure;
    setNodes(previous => {
      const byId = new Map(previous.map(node => [node.id, node]));
      return fresh.map(node => {
        const old = byId.get(node.id);
        if (old && !relayout) {
          // Keep React Flow's measures and any position dragged by the user.
          return { ...old, data: node.data, selected: node.selected };
        }
        return { ...node, position: positions.get(node.id) ?? node.position };
      });
    });
  }, [dag, blocks, selectedId, structure, positions]);

  const onNodeClick = React.useCallback(
    (_: React.MouseEvent, node: DagFlowNode) => model.select(node.id),
    [model]
  );
  const onPaneClick = React.useCallback(() => model.select(null), [model]);

  return (
    <ReactFlow
      nodes={nodes}
      edges={edges}
      nodeTypes={NODE_TYPES}
      onNodesChange={onNodesChange}
      onNodeClick={onNodeClick}
      onPaneClick={onPaneClick}
      nodesConnectable={false}
      edgesFocusable={false}
      minZoom={0.1}
      maxZoom={2}
      fitView
      colorMode={colorMode()}
    >
      <Background gap={16} size={1} />
      <Controls showInteractive={false} />
      <FitOnChange structure={structure} />
    </ReactFlow>
  );
}

/**
 * The whole view: toolbar, canvas and side panel.
 */
export function DagView(props: { model: DagModel }): JSX.Element {
  const { model } = props;
  const version = useModel(model);
  const { dag, statuses, selectedId, error, loading } = model;
  const running = isActiveStatus(statuses.runStatus);
  const selected =
    (selectedId && dag?.nodes.find(node => node.id === selectedId)) || null;
  const counts = React.useMemo(() => {
    const result: { [status: string]: number } = {};
    for (const node of dag?.nodes ?? []) {
      if (node.cell_type === 'code') {
        const status = statuses.blocks[node.id] ?? node.status ?? 'never_run';
        result[status] = (result[status] ?? 0) + 1;
      }
    }
    return result;
  }, [dag, statuses.blocks]);

  return (
    <div
      className="jp-NotebookDag"
      data-project-id={model.projectId}
      data-run-id={statuses.runId ?? ''}
      data-run-status={statuses.runStatus ?? ''}
      data-event-count={statuses.eventCount}
    >
      <div className="jp-NotebookDag-toolbar">
        <button
          className="jp-Button jp-mod-styled jp-mod-accept jp-NotebookDag-runAll"
          onClick={() => void model.runAll()}
          disabled={!dag || running}
          title="Run every cell of the DAG in order"
        >
          Run all
        </button>
        <button
          className="jp-Button jp-mod-styled jp-mod-reject jp-NotebookDag-refresh"
          onClick={() => void model.refresh()}
          disabled={loading}
          title="Reload the DAG from the notebook"
        >
          Refresh
        </button>
        <span className="jp-NotebookDag-summary">
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
        </span>
        <span
          className="jp-NotebookDag-runState"
          data-testid="dag-run-status"
          data-status={statuses.runStatus ?? ''}
        >
          {statuses.runId
            ? `Run ${statuses.runId.slice(0, 8)}: ${statusLabel(statuses.runStatus)}`
            : ''}
          {statuses.message ? ` — ${statuses.message}` : ''}
        </span>
      </div>
      {error && (
        <div className="jp-NotebookDag-error" role="alert">
          {error}
        </div>
      )}
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
          <ReactFlowProvider>
            <DagCanvas model={model} version={version} />
          </ReactFlowProvider>
        </div>
        {selected && (
          <OutputPanel
            node={selected}
            status={
              statuses.blocks[selected.id] ?? selected.status ?? 'never_run'
            }
            result={model.blockResult(selected.id)}
            onClose={() => model.select(null)}
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
  constructor(model: DagModel) {
    super();
    this.model = model;
    this.addClass('jp-NotebookDag-widget');
  }

  readonly model: DagModel;

  render(): JSX.Element {
    return <DagView model={this.model} />;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.dispose();
    super.dispose();
  }
}
