/**
 * How the DAG canvas behaves, as hooks of `DagCanvas` (canvas.tsx): fitting
 * at a readable zoom (again on resize unless the user moved the view) and
 * timing the first paint, keeping the selected node in sight, moving and
 * saving nodes, drawing and deleting edges.
 */
import {
  Connection,
  FinalConnectionState,
  NodeChange,
  OnMove,
  ReactFlowInstance
} from '@xyflow/react';
import * as React from 'react';

import { DagFlowEdge, DagFlowNode } from './graph';
import { DagModel } from './model';
import { fitViewport } from './viewfit';

type Flow = ReactFlowInstance<DagFlowNode, DagFlowEdge>;
type Wrapper = React.RefObject<HTMLDivElement>;

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

function isEditable(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  if (!element || !element.closest) {
    return false;
  }
  return !!element.closest(
    'input, textarea, select, [contenteditable="true"], .cm-editor'
  );
}

/**
 * Fit the view when a new shape is laid out (and time its first paint), and
 * when the panel is resized unless the user moved the view; `onMove` notes
 * the user's moves and hides edge labels when zoomed out.
 */
export function useFitting(
  model: DagModel,
  flow: Flow,
  wrapper: Wrapper,
  fresh: DagFlowNode[] | null,
  onRendered?: (info: IRenderInfo) => void
): { onMove: OnMove } {
  const view = model.viewState.view;
  const layout = model.viewState.layout;
  const direction = model.viewState.options.direction;
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
          onRendered?.(info);
        });
      });
    });
    return () => {
      cancelled = true;
      cancelAnimationFrame(frame);
    };
  }, [appliedLayout, fitKey]);

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
  return { onMove };
}

/**
 * Keep the selected node in sight (the side panel narrows the canvas).
 */
export function useKeepInSight(
  flow: Flow,
  wrapper: Wrapper,
  selectedId: string | null
): void {
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
}

/**
 * Selection and moves of nodes: a moved node is placed at once and the
 * positions are saved in one call 300 ms after the last move.
 */
export function useNodeMoves(
  model: DagModel,
  applyChanges: (changes: NodeChange<DagFlowNode>[]) => void
): (changes: NodeChange<DagFlowNode>[]) => void {
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
  return onNodesChange;
}

/**
 * Selecting, drawing (also by dropping on a node's body) and deleting edges,
 * and Escape to clear the selection.
 */
export function useEdgeEditing(model: DagModel) {
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
  return {
    onEdgesChange,
    onPaneClick,
    onConnect,
    onConnectEnd,
    isValidConnection,
    onKeyDown
  };
}
