/**
 * The React Flow canvas of a DAG view: nodes placed by the model's layout
 * (computed off the render path), only visible elements rendered, edges
 * drawn by dragging, deleted with Delete, nodes moved and saved.
 */
import {
  Background,
  ColorMode,
  Connection,
  Controls,
  EdgeTypes,
  FinalConnectionState,
  MiniMap,
  NodeChange,
  NodeTypes,
  OnMove,
  ReactFlow,
  useNodesState,
  useReactFlow
} from '@xyflow/react';
import * as React from 'react';

import {
  DAG_NODE_TYPE,
  DATASET_NODE_TYPE,
  DagFlowEdge,
  DagFlowNode,
  mergeFlowNodes,
  ROUTED_EDGE_TYPE,
  SECTION_NODE_TYPE,
  viewToFlowEdges,
  viewToFlowNodes
} from './graph';
import { DagModel } from './model';
import { RoutedEdge } from './edges';
import { DagCellNode, DatasetNode } from './nodes';
import { NodeSearch } from './nodesearch';
import { SectionNode } from './sectionnode';
import { fitViewport } from './viewfit';
import { focusClass, focusOf } from './focus';

const NODE_TYPES: NodeTypes = {
  [DAG_NODE_TYPE]: DagCellNode,
  [DATASET_NODE_TYPE]: DatasetNode,
  [SECTION_NODE_TYPE]: SectionNode
};

const EDGE_TYPES: EdgeTypes = { [ROUTED_EDGE_TYPE]: RoutedEdge };

/**
 * Beyond this many nodes the first view fits the start of the DAG only (the
 * fit-view button shows it all): readable, and fewer elements to render.
 */
export const LARGE_GRAPH = 200;
export const FIRST_VIEW_NODES = 40;

/*
 * Large graphs also go without the dotted background, dashed edges (see
 * base.css) and labels on every edge (only around the selection): each costs
 * painting time on every frame of a pan.
 */

/**
 * Below this zoom edge labels are hidden (unreadable, and costly).
 */
export const LABEL_MIN_ZOOM = 0.55;

/**
 * Measures of the last layout applied: for the benchmark and the UI tests.
 */
export interface IRenderInfo {
  nodes: number;
  edges: number;
  layoutMs: number;
  layoutEngine: string;
  /**
   * From the DAG's arrival to the first painted frame of its layout.
   */
  renderMs: number;
}

function miniMapColor(node: DagFlowNode): string {
  if (node.type === SECTION_NODE_TYPE) {
    return 'var(--jp-layout-color2)';
  }
  const display = node.data?.display ?? 'never_run';
  return `var(--jp-NotebookDag-${display}, var(--jp-layout-color3))`;
}

function isEditable(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  if (!element || !element.closest) {
    return false;
  }
  return !!element.closest(
    'input, textarea, select, [contenteditable="true"], .cm-editor'
  );
}

export function DagCanvas(props: {
  model: DagModel;
  version: number;
  colorMode: ColorMode;
  onRendered?: (info: IRenderInfo) => void;
}): JSX.Element {
  const { model, colorMode } = props;
  const flow = useReactFlow<DagFlowNode, DagFlowEdge>();
  const wrapper = React.useRef<HTMLDivElement>(null);
  const viewState = model.viewState;
  const view = viewState.view;
  const layout = viewState.layout;
  const direction = viewState.options.direction;
  const { blocks, states } = model.statuses;
  const selectedId = model.selectedId;
  const selectedEdgeId = model.selectedEdgeId;
  // (the DAG's states are those of the kernel runs go to: GET /dag?kernel_id=)
  const useStates = true;

  // Nodes wait for a layout covering every node of the view.
  const fresh = React.useMemo(() => {
    if (!view || !layout) {
      return null;
    }
    if (view.nodes.some(node => !layout.positions.has(node.id))) {
      return null;
    }
    const focus = focusOf(view, selectedId);
    return viewToFlowNodes(view, {
      positions: layout.positions,
      statuses: blocks,
      states,
      selectedId,
      direction,
      useStates,
      groups: layout.groups
    }).map(node => {
      const className = focusClass(
        focus,
        node.id,
        node.type === SECTION_NODE_TYPE
      );
      return className ? { ...node, className } : node;
    });
  }, [view, layout, blocks, states, selectedId, direction, useStates]);

  const large = (view?.nodes.length ?? 0) > LARGE_GRAPH;
  const edges = React.useMemo(() => {
    if (!view) {
      return [];
    }
    const focus = focusOf(view, selectedId);
    return viewToFlowEdges(view, selectedEdgeId, {
      labelsOnlyNear: large,
      labelsNear: selectedId,
      routes: layout?.routes
    }).map(edge =>
      focus && !focus.edges.has(edge.id)
        ? { ...edge, className: `${edge.className} jp-mod-faded` }
        : edge
    );
  }, [view, selectedEdgeId, selectedId, large, layout]);

  const [nodes, setNodes, applyChanges] = useNodesState<DagFlowNode>([]);
  React.useEffect(() => {
    if (fresh) {
      setNodes(previous => mergeFlowNodes(previous, fresh));
    } else if (!view) {
      setNodes([]);
    }
  }, [fresh, view]);

  // Fit at a readable zoom: the whole graph when it is small enough, else its
  // start (large graphs: its first nodes); the view then scrolls.
  const userMoved = React.useRef(false);
  const fit = React.useCallback(() => {
    const element = wrapper.current;
    const current = model.viewState.view;
    if (!element || !current) {
      return;
    }
    const big = current.nodes.length > LARGE_GRAPH;
    const ids = big
      ? current.nodes.slice(0, FIRST_VIEW_NODES).map(node => node.id)
      : current.nodes.map(node => node.id);
    const bounds = flow.getNodesBounds(ids);
    const { width, height } = element.getBoundingClientRect();
    if (!width || !height || !bounds.width) {
      return;
    }
    userMoved.current = false;
    void flow.setViewport(
      fitViewport(bounds, width, height, { padding: 0.15, maxZoom: 1.1 })
    );
  }, [flow, model]);

  // Fit again when the panel is resized, unless the user moved the view.
  React.useEffect(() => {
    const element = wrapper.current;
    if (!element || typeof ResizeObserver === 'undefined') {
      return;
    }
    let timer: ReturnType<typeof setTimeout> | null = null;
    const observer = new ResizeObserver(() => {
      if (timer !== null) {
        clearTimeout(timer);
      }
      timer = setTimeout(() => {
        timer = null;
        if (!userMoved.current) {
          fit();
        }
      }, 120);
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      if (timer !== null) {
        clearTimeout(timer);
      }
    };
  }, [fit]);

  // Fit (and time the first paint) whenever a new shape is laid out.
  const fitKey = `${view?.structureKey ?? ''}|${direction}`;
  const lastFit = React.useRef('');
  const lastDagAt = React.useRef(0);
  const appliedLayout = fresh ? layout : null;
  React.useEffect(() => {
    if (!appliedLayout || !view) {
      return;
    }
    const needFit = lastFit.current !== fitKey;
    const firstOfDag = lastDagAt.current !== model.dagAt;
    if (!needFit && !firstOfDag) {
      return;
    }
    lastFit.current = fitKey;
    lastDagAt.current = model.dagAt;
    let cancelled = false;
    const frame = requestAnimationFrame(() => {
      if (cancelled) {
        return;
      }
      if (needFit) {
        fit();
      }
      requestAnimationFrame(() => {
        requestAnimationFrame(() => {
          if (cancelled) {
            return;
          }
          const info: IRenderInfo = {
            nodes: view.nodes.length,
            edges: view.edges.length,
            layoutMs: appliedLayout.ms,
            layoutEngine: appliedLayout.engine,
            renderMs: performance.now() - model.dagAt
          };
          try {
            performance.mark(`notebook-dag:rendered:${model.projectId}`);
          } catch (error) {
            // no performance API
          }
          props.onRendered?.(info);
        });
      });
    });
    return () => {
      cancelled = true;
      cancelAnimationFrame(frame);
    };
  }, [appliedLayout, fitKey]);

  // Keep the selected node in sight (the side panel narrows the canvas).
  React.useEffect(() => {
    if (!selectedId) {
      return;
    }
    const timer = setTimeout(() => {
      const element = wrapper.current;
      const selected = flow.getInternalNode(selectedId);
      if (!element || !selected) {
        return;
      }
      const { x, y, zoom } = flow.getViewport();
      const width = selected.measured.width ?? 0;
      const height = selected.measured.height ?? 0;
      const left = selected.internals.positionAbsolute.x * zoom + x;
      const top = selected.internals.positionAbsolute.y * zoom + y;
      const bounds = element.getBoundingClientRect();
      if (
        left < 0 ||
        top < 0 ||
        left + width * zoom > bounds.width ||
        top + height * zoom > bounds.height
      ) {
        void flow.setCenter(
          selected.internals.positionAbsolute.x + width / 2,
          selected.internals.positionAbsolute.y + height / 2,
          { zoom, duration: 200 }
        );
      }
    }, 60);
    return () => clearTimeout(timer);
  }, [selectedId]);

  // Positions moved with the mouse or the arrow keys, saved in one call.
  const moved = React.useRef<{ [id: string]: { x: number; y: number } }>({});
  const saveTimer = React.useRef<ReturnType<typeof setTimeout> | null>(null);
  React.useEffect(
    () => () => {
      if (saveTimer.current !== null) {
        clearTimeout(saveTimer.current);
      }
    },
    []
  );
  const onNodesChange = React.useCallback(
    (changes: NodeChange<DagFlowNode>[]) => {
      const kept: NodeChange<DagFlowNode>[] = [];
      for (const change of changes) {
        if (change.type === 'select') {
          if (change.selected) {
            model.select(change.id);
          }
          continue;
        }
        if (change.type === 'remove') {
          continue; // cells are not deleted from the DAG view
        }
        if (change.type === 'position' && change.position && !change.dragging) {
          // Placed now (so a re-render keeps it there), saved in one call.
          Object.assign(
            moved.current,
            model.viewState.move({ [change.id]: change.position })
          );
          if (saveTimer.current !== null) {
            clearTimeout(saveTimer.current);
          }
          saveTimer.current = setTimeout(() => {
            saveTimer.current = null;
            const batch = moved.current;
            moved.current = {};
            void model.savePositions(batch);
          }, 300);
        }
        kept.push(change);
      }
      if (kept.length) {
        applyChanges(kept);
      }
    },
    [model, applyChanges]
  );

  const onEdgesChange = React.useCallback(
    (changes: { type: string; id?: string; selected?: boolean }[]) => {
      for (const change of changes) {
        if (change.type === 'select' && change.selected && change.id) {
          model.selectEdge(change.id);
        }
      }
    },
    [model]
  );

  const onPaneClick = React.useCallback(() => {
    model.select(null);
    model.selectEdge(null);
  }, [model]);

  const onConnect = React.useCallback(
    (connection: Connection) => {
      void model.editor.addEdge(connection.source, connection.target);
    },
    [model]
  );

  // Dropping on a node's body (not just on its handle) draws the edge too.
  const onConnectEnd = React.useCallback(
    (event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      if (state.isValid || !state.fromNode) {
        return;
      }
      const point = 'changedTouches' in event ? event.changedTouches[0] : event;
      const element = document
        .elementFromPoint(point.clientX, point.clientY)
        ?.closest('.react-flow__node');
      const other = element?.getAttribute('data-id');
      const from = state.fromNode.id;
      if (!other || other === from) {
        return;
      }
      if (state.fromHandle?.type === 'target') {
        void model.editor.addEdge(other, from);
      } else {
        void model.editor.addEdge(from, other);
      }
    },
    [model]
  );

  const isValidConnection = React.useCallback(
    (connection: { source: string; target: string }) =>
      connection.source !== connection.target &&
      !connection.source.startsWith('dataset:') &&
      !connection.target.startsWith('dataset:'),
    []
  );

  // Delete/Backspace on a selected edge, only when the canvas has the focus
  // (React Flow's own delete key listens to the whole document).
  const onKeyDown = React.useCallback(
    (event: React.KeyboardEvent) => {
      if (isEditable(event.target)) {
        return;
      }
      if (event.key === 'Delete' || event.key === 'Backspace') {
        const edge = model.selectedEdge;
        if (edge) {
          event.preventDefault();
          event.stopPropagation();
          void model.editor.removeEdge(edge);
        }
      } else if (event.key === 'Escape') {
        model.select(null);
        model.selectEdge(null);
      }
    },
    [model]
  );

  const zoomedOut = React.useRef(false);
  const onMove: OnMove = React.useCallback((event, viewport) => {
    if (event) {
      userMoved.current = true; // panned or zoomed by the user
    }
    const out = viewport.zoom < LABEL_MIN_ZOOM;
    if (out !== zoomedOut.current && wrapper.current) {
      zoomedOut.current = out;
      wrapper.current.classList.toggle('jp-mod-zoomedOut', out);
    }
  }, []);

  return (
    <div
      ref={wrapper}
      className={`jp-NotebookDag-flow${large ? ' jp-mod-large' : ''}`}
      onKeyDown={onKeyDown}
      data-testid="dag-canvas"
    >
      <ReactFlow<DagFlowNode, DagFlowEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        edgeTypes={EDGE_TYPES}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onPaneClick={onPaneClick}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        onMove={onMove}
        connectionRadius={28}
        nodesConnectable
        nodesFocusable
        edgesFocusable
        elementsSelectable
        deleteKeyCode={null}
        selectionKeyCode={null}
        multiSelectionKeyCode={null}
        onlyRenderVisibleElements
        elevateEdgesOnSelect
        minZoom={0.05}
        maxZoom={2}
        colorMode={colorMode}
        attributionPosition="bottom-center"
        ariaLabelConfig={{
          'node.a11yDescription.default':
            'Press Enter or Space to select the cell and show its details; arrow keys move it.',
          'edge.a11yDescription.default':
            'Press Enter or Space to select the edge, then Delete to remove (or hide) it.'
        }}
      >
        {!large && <Background gap={16} size={1} />}
        <NodeSearch model={model} />
        <Controls
          showInteractive={false}
          fitViewOptions={{ padding: 0.1, minZoom: 0.02 }}
        />
        {viewState.minimapShown && (
          <MiniMap
            pannable
            zoomable
            nodeColor={miniMapColor}
            nodeStrokeWidth={0}
            ariaLabel="Minimap of the DAG"
            position="bottom-right"
            style={{ width: 160, height: 110 }}
          />
        )}
      </ReactFlow>
    </div>
  );
}
