/**
 * The DAG state badges beside the prompts of a notebook's code cells.
 */
import type { Cell } from '@jupyterlab/cells';
import { IDisposable } from '@lumino/disposable';

import { badgeInfo, CellDagState } from './cellstate';
import type { NotebookDagLink } from './kernellink';

export const BADGE_CLASS = 'jp-NotebookDag-cellState';

/**
 * Set a badge element to show `state`.
 */
export function paintBadge(badge: HTMLElement, state: CellDagState): void {
  const info = badgeInfo(state);
  badge.className = `${BADGE_CLASS} ${info.className}`;
  badge.dataset.dagState = state;
  badge.title = info.title;
  badge.setAttribute('aria-label', info.title);
}

/**
 * Keeps one badge per code cell of a linked notebook in its input prompt
 * (the prompt rewrites its text on each execution: the badge is put back).
 */
export class CellStateBadges implements IDisposable {
  constructor(link: NotebookDagLink) {
    this._link = link;
    link.changed.connect(this._schedule, this);
    const notebook = link.panel.content;
    notebook.model?.cells.changed.connect(this._schedule, this);
    notebook.modelChanged.connect(this._schedule, this);
    notebook.cellInViewportChanged.connect(this._schedule, this);
    this._schedule();
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Paint every cell's badge now.
   */
  update(): void {
    if (this._isDisposed) {
      return;
    }
    const link = this._link;
    const show = !!link.project && !!link.dag;
    const seen = new Set<HTMLElement>();
    for (const cell of link.panel.content.widgets) {
      const prompt = promptOf(cell);
      if (!prompt) {
        continue;
      }
      if (!show || cell.model.type !== 'code') {
        this._remove(prompt);
        continue;
      }
      seen.add(prompt);
      const state = link.states[cell.model.id] ?? 'never_run';
      paintBadge(this._badge(prompt), state);
    }
    for (const prompt of [...this._badges.keys()]) {
      if (!seen.has(prompt)) {
        this._remove(prompt);
      }
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    if (this._frame !== null) {
      cancelAnimationFrame(this._frame);
    }
    for (const prompt of [...this._badges.keys()]) {
      this._remove(prompt);
    }
    this._link.changed.disconnect(this._schedule, this);
  }

  private _schedule(): void {
    if (this._frame !== null || this._isDisposed) {
      return;
    }
    this._frame = requestAnimationFrame(() => {
      this._frame = null;
      this.update();
    });
  }

  private _badge(prompt: HTMLElement): HTMLElement {
    const known = this._badges.get(prompt);
    if (known) {
      if (known.badge.parentElement !== prompt) {
        prompt.appendChild(known.badge);
      }
      return known.badge;
    }
    const badge = document.createElement('span');
    prompt.appendChild(badge);
    // `[n]:` is written as the prompt's text content, which drops the badge.
    const observer = new MutationObserver(() => {
      if (badge.parentElement !== prompt) {
        prompt.appendChild(badge);
      }
    });
    observer.observe(prompt, { childList: true });
    this._badges.set(prompt, { badge, observer });
    return badge;
  }

  private _remove(prompt: HTMLElement): void {
    const known = this._badges.get(prompt);
    if (known) {
      known.observer.disconnect();
      known.badge.remove();
      this._badges.delete(prompt);
    }
  }

  private _link: NotebookDagLink;
  private _badges = new Map<
    HTMLElement,
    { badge: HTMLElement; observer: MutationObserver }
  >();
  private _frame: number | null = null;
  private _isDisposed = false;
}

function promptOf(cell: Cell): HTMLElement | null {
  try {
    return cell.inputArea?.promptNode ?? null;
  } catch {
    return null; // a placeholder cell, not rendered yet
  }
}
