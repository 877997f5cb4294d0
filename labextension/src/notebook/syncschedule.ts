/**
 * When to send an open notebook to the server: after a pause in typing
 * (debounce), at least every so often while it is open (heartbeat, so that the
 * server's copy does not expire), and at once on request. One send at a time:
 * a change during a send is sent right after it.
 */

/**
 * Why a send happens (a heartbeat re-sends even unchanged content).
 */
export type SendReason = 'change' | 'heartbeat' | 'now';

export interface ISyncScheduleOptions {
  /**
   * Quiet milliseconds after the last change before sending (default 300).
   */
  debounceMs?: number;
  /**
   * Longest milliseconds between two sends while running (default 30000).
   */
  heartbeatMs?: number;
}

export const DEFAULT_DEBOUNCE_MS = 300;
export const DEFAULT_HEARTBEAT_MS = 30000;

export class SyncScheduler {
  /**
   * @param send sends the current content; its rejection is the caller's to
   * report (the scheduler goes on)
   */
  constructor(
    send: (reason: SendReason) => Promise<void>,
    options: ISyncScheduleOptions = {}
  ) {
    this._send = send;
    this.debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  }

  readonly debounceMs: number;
  readonly heartbeatMs: number;

  /**
   * Whether heartbeats and changes lead to sends.
   */
  get running(): boolean {
    return this._running;
  }

  /**
   * Whether a send is under way.
   */
  get sending(): boolean {
    return this._inFlight !== null;
  }

  /**
   * Start the heartbeat (changes are sent only while running).
   */
  start(): void {
    if (this._running) {
      return;
    }
    this._running = true;
    this._armHeartbeat();
  }

  /**
   * Stop every timer; a send under way finishes.
   */
  stop(): void {
    this._running = false;
    this._again = null;
    this._clear('debounce');
    this._clear('heartbeat');
  }

  /**
   * The content changed: send after `debounceMs` without another change.
   */
  touch(): void {
    if (!this._running) {
      return;
    }
    this._clear('debounce');
    this._debounce = setTimeout(() => {
      this._debounce = null;
      void this._fire('change').catch(() => undefined);
    }, this.debounceMs);
  }

  /**
   * Send at once (after the send under way, if any); resolves when the
   * current content has been sent. Works even when not running.
   */
  flush(): Promise<void> {
    this._clear('debounce');
    return this._fire('now');
  }

  private async _fire(reason: SendReason): Promise<void> {
    if (this._inFlight) {
      // Sent once the current send ends (a flush wins over a change).
      if (this._again !== 'now') {
        this._again = reason === 'now' ? 'now' : (this._again ?? reason);
      }
      const current = this._inFlight;
      await current.catch(() => undefined);
      // The follow-up send started by the current one, if any.
      return this._inFlight ?? undefined;
    }
    this._clear('heartbeat');
    const sending = this._send(reason);
    this._inFlight = sending;
    try {
      await sending;
    } finally {
      this._inFlight = null;
      const again = this._again;
      this._again = null;
      if (again && (this._running || again === 'now')) {
        // Not awaited by this caller: the waiters above pick it up.
        void this._fire(again).catch(() => undefined);
      } else if (this._running) {
        this._armHeartbeat();
      }
    }
  }

  private _armHeartbeat(): void {
    this._clear('heartbeat');
    if (!this._running || this.heartbeatMs <= 0) {
      return;
    }
    this._heartbeat = setTimeout(() => {
      this._heartbeat = null;
      void this._fire('heartbeat').catch(() => undefined);
    }, this.heartbeatMs);
  }

  private _clear(which: 'debounce' | 'heartbeat'): void {
    const timer = which === 'debounce' ? this._debounce : this._heartbeat;
    if (timer !== null) {
      clearTimeout(timer);
    }
    if (which === 'debounce') {
      this._debounce = null;
    } else {
      this._heartbeat = null;
    }
  }

  private _send: (reason: SendReason) => Promise<void>;
  private _running = false;
  private _debounce: ReturnType<typeof setTimeout> | null = null;
  private _heartbeat: ReturnType<typeof setTimeout> | null = null;
  private _inFlight: Promise<void> | null = null;
  private _again: SendReason | null = null;
}
