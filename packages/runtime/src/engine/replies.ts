import type { TypedValue } from "@statefun-ts/protocol";

/** One caller's interest in the reply to a request (see `ReplyWaiters.register`). */
export interface ReplyWaiter {
  /** The reply, or undefined once `timeoutMs` passed (or the waiter was cancelled) first. */
  wait(timeoutMs: number): Promise<TypedValue | undefined>;
  /** No longer waits: a pending `wait` answers undefined. */
  cancel(): void;
}

/**
 * A waiter as one object: a reply that came before `wait` is kept and answered at once, without
 * a timer (an awaited request's reply usually commits with its request, before the HTTP layer
 * waits for it); otherwise one promise and one timer. This runs for every awaited request.
 */
class Waiter implements ReplyWaiter {
  private settled = false;
  private value: TypedValue | undefined;
  private wake: ((reply: TypedValue | undefined) => void) | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly owner: ReplyWaiters,
    readonly requestId: string,
  ) {}

  /** Called by the owner, which already removed this waiter. */
  settle(reply: TypedValue | undefined): void {
    if (this.settled) return;
    this.settled = true;
    this.value = reply;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const wake = this.wake;
    this.wake = undefined;
    wake?.(reply);
  }

  wait(timeoutMs: number): Promise<TypedValue | undefined> {
    if (this.settled) return Promise.resolve(this.value);
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(() => this.cancel(), timeoutMs);
      this.timer.unref?.();
    });
  }

  cancel(): void {
    this.owner.remove(this);
    this.settle(undefined);
  }
}

/** HTTP callers waiting for a function's reply, by request id. */
export class ReplyWaiters {
  /** One waiter per request id, or several (a retried request waits on its first's id too). */
  private readonly waiting = new Map<string, Waiter | Waiter[]>();

  /** Registers interest before the request is committed, so no reply can slip past. */
  register(requestId: string): ReplyWaiter {
    const waiter = new Waiter(this, requestId);
    const there = this.waiting.get(requestId);
    if (there === undefined) this.waiting.set(requestId, waiter);
    else if (Array.isArray(there)) there.push(waiter);
    else this.waiting.set(requestId, [there, waiter]);
    return waiter;
  }

  /** A reply committed: wake whoever waits for it. */
  resolve(requestId: string, reply: TypedValue): void {
    const there = this.waiting.get(requestId);
    if (there === undefined) return;
    this.waiting.delete(requestId);
    if (Array.isArray(there)) for (const waiter of there) waiter.settle(reply);
    else there.settle(reply);
  }

  /** Forgets `waiter` (it timed out or was cancelled). */
  remove(waiter: Waiter): void {
    const there = this.waiting.get(waiter.requestId);
    if (there === waiter) this.waiting.delete(waiter.requestId);
    else if (Array.isArray(there)) {
      const at = there.indexOf(waiter);
      if (at >= 0) there.splice(at, 1);
      if (there.length === 0) this.waiting.delete(waiter.requestId);
    }
  }

  /** The request ids someone waits for (cluster mode polls the store for their replies). */
  ids(): string[] {
    return [...this.waiting.keys()];
  }

  has(requestId: string): boolean {
    return this.waiting.has(requestId);
  }

  /** Forgets every waiter (shutdown): they answer no reply once their wait times out. */
  clear(): void {
    this.waiting.clear();
  }
}
