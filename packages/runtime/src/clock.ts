/** Time as the engine sees it; tests pass a controllable one. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  setTimeout(fn: () => void, ms: number): { cancel(): void };
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, ms);
    handle.unref?.();
    return { cancel: () => clearTimeout(handle) };
  },
};

/**
 * A clock for tests that moves only when told: `now()` stands still, and a timeout runs when
 * `advance` passes its time (in due order; timeouts they set that fall due within the same
 * advance run too); one set for 0 ms runs by itself, soon. Nothing waits for real time, so a
 * test can show that something does NOT happen: advance past the moment, let the work settle
 * (an empty inbox), then check.
 */
export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly timeouts = new Map<number, { readonly at: number; readonly fn: () => void }>();

  constructor(start = Date.now()) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): { cancel(): void } {
    const id = this.seq++;
    if (ms <= 0) {
      // Due now: runs on its own, soon (as a real zero timeout would), not at the next `advance`.
      const handle = setImmediate(fn);
      return { cancel: () => clearImmediate(handle) };
    }
    this.timeouts.set(id, { at: this.current + ms, fn });
    return { cancel: () => this.timeouts.delete(id) };
  }

  /** Moves time forward by `ms`, running every timeout that falls due on the way. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timeouts) if (entry[1].at <= target && (next === undefined || entry[1].at < next[1].at)) next = entry;
      if (next === undefined) break;
      this.timeouts.delete(next[0]);
      this.current = Math.max(this.current, next[1].at);
      next[1].fn();
    }
    this.current = target;
  }

  /** Timeouts set and not yet run nor cancelled. */
  get pending(): number {
    return this.timeouts.size;
  }
}

/** Real timers, and a time that tests move forward (`advance`): for what the engine reads from `now()` (expiry, due times). */
export class OffsetClock implements Clock {
  offset = 0;

  now(): number {
    return Date.now() + this.offset;
  }

  setTimeout(fn: () => void, ms: number): { cancel(): void } {
    const handle = setTimeout(fn, ms);
    handle.unref?.();
    return { cancel: () => clearTimeout(handle) };
  }

  advance(ms: number): void {
    this.offset += ms;
  }
}
