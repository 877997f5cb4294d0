/**
 * A single pending `setTimeout` call, as the models use them: a refresh
 * collapsed from several triggers, a safety check pushed back by activity.
 */
export class PendingCall {
  /**
   * @param fn what to call when the time is up
   * @param ms milliseconds to wait (0 or less: never call)
   */
  constructor(
    private readonly _fn: () => void,
    private readonly _ms: number
  ) {}

  /**
   * Whether a call is pending.
   */
  get pending(): boolean {
    return this._timer !== null;
  }

  /**
   * Call after `ms` unless a call is already pending (triggers collapse).
   */
  schedule(): void {
    if (this._timer === null && this._ms > 0) {
      this._timer = setTimeout(() => {
        this._timer = null;
        this._fn();
      }, this._ms);
    }
  }

  /**
   * Call `ms` from now, dropping a pending call (activity pushes it back).
   */
  restart(): void {
    this.clear();
    this.schedule();
  }

  clear(): void {
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
  }

  private _timer: ReturnType<typeof setTimeout> | null = null;
}
