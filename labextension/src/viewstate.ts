/**
 * What a DAG view draws and where: the view graph (collapsed sections,
 * datasets, implied edges hidden), the saved ("pinned") positions and the
 * automatic layout — computed in a task of its own, off React's render path:
 * the notebook layout of `elklayout.ts` (asynchronous), or the synchronous
 * one of `layout.ts` when asked to lay out at once.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { NODE_HEIGHT, NODE_WIDTH } from './graph';
import { groupBoxes, INotebookGraph, notebookLayout } from './elklayout';
import { computeLayout, ILayoutResult, LayoutDirection, Point } from './layout';
import { IDag } from './types';
import {
  buildViewGraph,
  IViewEdge,
  IViewGraph,
  notebookGraph,
  sectionLayoutEdges
} from './viewgraph';
import {
  IViewOptionsState,
  loadViewOptions,
  MINIMAP_AUTO_NODES,
  saveViewOptions
} from './viewoptions';

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

export class DagViewState {
  /**
   * @param layoutDelay milliseconds before laying out after a change (0: the
   * next task; negative: at once, with the synchronous layout of `layout.ts`
   * instead of the notebook layout)
   */
  constructor(projectId: string, layoutDelay = 0) {
    this.projectId = projectId;
    this._layoutDelay = layoutDelay;
    this._options = loadViewOptions(projectId);
  }

  readonly projectId: string;

  /**
   * Emitted when the view graph or the layout changes.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get options(): Readonly<IViewOptionsState> {
    return this._options;
  }

  get view(): IViewGraph | null {
    return this._view;
  }

  get layout(): ILayoutResult | null {
    return this._layout;
  }

  /**
   * When the last layout was ready (`performance.now()`).
   */
  get layoutAt(): number {
    return this._layoutAt;
  }

  /**
   * Saved positions, by node id.
   */
  get pinned(): ReadonlyMap<string, Point> {
    return this._pinned;
  }

  edge(edgeId: string | null): IViewEdge | null {
    return (edgeId && this._view?.edges.find(e => e.id === edgeId)) || null;
  }

  /**
   * A new DAG: rebuild the view, lay it out again if its shape changed.
   */
  setDag(dag: IDag | null): void {
    this._dag = dag;
    this._pinned = new Map();
    for (const node of dag?.nodes ?? []) {
      if (node.position) {
        this._pinned.set(node.id, { x: node.position.x, y: node.position.y });
      }
    }
    this._rebuild();
  }

  setDirection(direction: LayoutDirection): void {
    if (this._options.direction !== direction) {
      this._setOptions({ direction });
    }
  }

  /**
   * Collapse (or expand) a markdown section into its heading node.
   */
  toggleSection(headingId: string): void {
    const collapsed = new Set(this._options.collapsed);
    if (collapsed.has(headingId)) {
      collapsed.delete(headingId);
    } else {
      collapsed.add(headingId);
    }
    this._setOptions({ collapsed: [...collapsed] });
  }

  /**
   * Collapse every section, or expand them all.
   */
  setAllCollapsed(collapse: boolean): void {
    const sections = this._view?.sections;
    this._setOptions({
      collapsed: collapse && sections ? [...sections.keys()] : []
    });
  }

  /**
   * Whether the minimap is shown (the user's choice, or by graph size).
   */
  get minimapShown(): boolean {
    const choice = this._options.showMinimap;
    if (choice !== null) {
      return choice;
    }
    return (this._view?.nodes.length ?? 0) > MINIMAP_AUTO_NODES;
  }

  setShowMinimap(show: boolean): void {
    this._options = { ...this._options, showMinimap: show };
    saveViewOptions(this.projectId, this._options);
    this._changed.emit();
  }

  /**
   * Draw every edge, or hide those implied by a longer path (default).
   */
  setShowAllEdges(show: boolean): void {
    if (this._options.showAllEdges !== show) {
      this._setOptions({ showAllEdges: show });
    }
  }

  /**
   * Resolves once the layout of the current view is ready.
   */
  async laidOut(): Promise<void> {
    while (!this._disposed && (this._timer !== null || this._pending)) {
      await (this._pending ?? new Promise(r => setTimeout(r, 0)));
    }
  }

  /**
   * Returns whether the option changed (the DAG must then be fetched again).
   */
  setShowDatasets(show: boolean): boolean {
    if (this._options.showDatasets === show) {
      return false;
    }
    this._setOptions({ showDatasets: show });
    return true;
  }

  /**
   * Pin nodes the user moved; returns the cell positions to save.
   */
  move(moved: { [id: string]: Point }): { [id: string]: Point } {
    const cells: { [id: string]: Point } = {};
    for (const [id, position] of Object.entries(moved)) {
      const point = { x: Math.round(position.x), y: Math.round(position.y) };
      this._layout?.positions.set(id, point);
      if (id.startsWith('dataset:')) {
        continue; // datasets have no saved position
      }
      cells[id] = point;
      this._pinned.set(id, point);
    }
    this._layoutKey = this._key();
    // Section boxes follow their cells.
    const layout = this._layout;
    if (layout?.groups && this._graph) {
      const groups = groupBoxes(this._graph, layout.positions);
      for (const [id, box] of groups) {
        layout.positions.set(id, { x: box.x, y: box.y });
      }
      this._layout = { ...layout, groups };
      this._changed.emit();
    }
    return cells;
  }

  /**
   * Unpin every node and lay out again; returns the positions to clear.
   */
  unpinAll(): { [id: string]: null } {
    const cleared: { [id: string]: null } = {};
    for (const id of this._pinned.keys()) {
      cleared[id] = null;
    }
    this._pinned.clear();
    this._relayout(true);
    return cleared;
  }

  dispose(): void {
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
    this._disposed = true;
    Signal.clearData(this);
  }

  private _setOptions(patch: Partial<IViewOptionsState>): void {
    this._options = { ...this._options, ...patch };
    saveViewOptions(this.projectId, this._options);
    this._rebuild();
  }

  private _rebuild(): void {
    this._view = this._dag
      ? buildViewGraph(this._dag, {
          collapsed: this._options.collapsed,
          showDatasets: this._options.showDatasets,
          allEdges: this._options.showAllEdges
        })
      : null;
    if (this._options.collapseAll && this._view) {
      // First opening with "collapse sections" set: once the sections are
      // known, collapse them all (and remember it for the project).
      this._options = { ...this._options, collapseAll: false };
      if (this._view.sections.size) {
        this._setOptions({ collapsed: [...this._view.sections.keys()] });
        return;
      }
    }
    this._relayout(false);
    this._changed.emit();
  }

  private _key(): string {
    const pinned = [...this._pinned.entries()]
      .map(([id, p]) => `${id}@${p.x},${p.y}`)
      .join(';');
    return `${this._view?.structureKey ?? ''}|${this._options.direction}|${pinned}`;
  }

  private _relayout(force: boolean): void {
    const key = this._key();
    if (!force && key === this._layoutKey && this._layout) {
      return;
    }
    this._layoutKey = key;
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
    if (this._layoutDelay < 0) {
      this._compute();
    } else {
      this._timer = setTimeout(() => this._compute(), this._layoutDelay);
    }
  }

  private _compute(): void {
    this._timer = null;
    const view = this._view;
    if (!view || this._disposed) {
      return;
    }
    const stored: { [id: string]: Point } = {};
    for (const [id, p] of this._pinned) {
      stored[id] = p;
    }
    const direction = this._options.direction;
    const sized = <T extends { id: string }>(node: T) => ({
      ...node,
      width: NODE_WIDTH,
      height: NODE_HEIGHT
    });
    const seq = ++this._seq;
    if (this._layoutDelay < 0) {
      this._applyLayout(
        computeLayout(
          view.nodes.map(sized),
          [
            ...view.edges.map(e => ({
              id: e.id,
              source: e.source,
              target: e.target
            })),
            ...sectionLayoutEdges(view)
          ],
          { direction },
          stored
        )
      );
      return;
    }
    const graph = notebookGraph(view);
    this._graph = { ...graph, nodes: graph.nodes.map(sized) };
    const pending = notebookLayout(
      { ...graph, nodes: graph.nodes.map(sized) },
      { direction },
      stored
    ).then(
      result => {
        if (seq === this._seq) {
          this._pending = null;
          this._applyLayout(result);
        }
      },
      error => {
        // elk failed: the synchronous layout still places every node.
        console.warn('notebook_dag: notebook layout failed', error);
        if (seq === this._seq) {
          this._pending = null;
          this._applyLayout(
            computeLayout(
              graph.nodes.map(sized),
              [...graph.edges, ...graph.hints],
              { direction },
              stored
            )
          );
        }
      }
    );
    this._pending = pending;
  }

  private _applyLayout(layout: ILayoutResult): void {
    if (this._disposed) {
      return;
    }
    this._layout = layout;
    this._layoutAt = now();
    try {
      performance.mark(`notebook-dag:layout:${this.projectId}`);
    } catch (error) {
      // no performance API
    }
    this._changed.emit();
  }

  private _dag: IDag | null = null;
  private _options: IViewOptionsState;
  private _view: IViewGraph | null = null;
  private _layout: ILayoutResult | null = null;
  private _layoutAt = 0;
  private _layoutKey = '';
  private _layoutDelay: number;
  private _pinned = new Map<string, Point>();
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _disposed = false;
  private _seq = 0;
  private _graph: INotebookGraph | null = null;
  private _pending: Promise<void> | null = null;
  private _changed = new Signal<this, void>(this);
}
