/**
 * Requests to a DAG view from outside its React tree (commands, shortcuts):
 * show a side panel tab, focus "Find a cell". The view reports the tab it
 * shows, so that toggle commands know their state.
 */
import { ISignal, Signal } from '@lumino/signaling';

export type SideTabName = 'details' | 'history' | 'hidden' | 'datasets';

export class ViewRequests {
  /** the side panel tab the view shows (null: none) */
  get sideTab(): SideTabName | null {
    return this._sideTab;
  }

  /** emitted with the tab to show (null: close the side panel) */
  get sideTabRequested(): ISignal<this, SideTabName | null> {
    return this._sideTabRequested;
  }

  /** emitted when "Find a cell" should take the focus */
  get findRequested(): ISignal<this, void> {
    return this._findRequested;
  }

  /** the view reports the tab it shows */
  noteSideTab(tab: SideTabName | null): void {
    this._sideTab = tab;
  }

  /** show `tab`, or close the side panel when it is shown already */
  toggleSideTab(tab: SideTabName): void {
    this._sideTabRequested.emit(this._sideTab === tab ? null : tab);
  }

  find(): void {
    this._findRequested.emit();
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private _sideTab: SideTabName | null = null;
  private _sideTabRequested = new Signal<this, SideTabName | null>(this);
  private _findRequested = new Signal<this, void>(this);
}
