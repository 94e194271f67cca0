import type { TypedValue } from "@statefun-ts/protocol";

/** HTTP callers waiting for a function's reply, by request id. */
export class ReplyWaiters {
  private readonly waiting = new Map<string, Set<(reply: TypedValue) => void>>();

  /** Registers interest before the request is committed, so no reply can slip past. */
  register(requestId: string): { wait(timeoutMs: number): Promise<TypedValue | undefined>; cancel(): void } {
    let resolve!: (reply: TypedValue | undefined) => void;
    const promise = new Promise<TypedValue | undefined>((r) => {
      resolve = r;
    });
    const listener = (reply: TypedValue) => resolve(reply);
    let set = this.waiting.get(requestId);
    if (set === undefined) {
      set = new Set();
      this.waiting.set(requestId, set);
    }
    set.add(listener);
    const cancel = () => {
      set.delete(listener);
      if (set.size === 0 && this.waiting.get(requestId) === set) this.waiting.delete(requestId);
    };
    return {
      wait: (timeoutMs) => {
        const timer = setTimeout(() => resolve(undefined), timeoutMs);
        timer.unref?.();
        return promise.finally(() => {
          clearTimeout(timer);
          cancel();
        });
      },
      cancel: () => {
        cancel();
        resolve(undefined);
      },
    };
  }

  /** A reply committed: wake whoever waits for it. */
  resolve(requestId: string, reply: TypedValue): void {
    const set = this.waiting.get(requestId);
    if (set === undefined) return;
    this.waiting.delete(requestId);
    for (const listener of set) listener(reply);
  }

  /** The request ids someone waits for (cluster mode polls the store for their replies). */
  ids(): string[] {
    return [...this.waiting.keys()];
  }

  has(requestId: string): boolean {
    return this.waiting.has(requestId);
  }

  /** Wakes every waiter with no reply (shutdown). */
  clear(): void {
    this.waiting.clear();
  }
}
