/**
 * An attempt's abort switch: what an `AbortController` and its signal do for one request, without
 * an `EventTarget` per request (a controller, its signal and `AbortSignal.any` cost a remote call
 * several microseconds and weak references the collector must visit). One listener at a time.
 *
 * @example
 * const abort = new Abort();
 * abort.onAbort((reason) => request.cancel(reason));
 * abort.abort(new Error("budget ran out")); // the listener runs once; `aborted` stays true
 */
export class Abort {
  aborted = false;
  reason: unknown = undefined;
  #listener: ((reason: unknown) => void) | undefined = undefined;

  /** Aborts once: the listener, if any, hears the reason; later calls do nothing. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listener = this.#listener;
    this.#listener = undefined;
    listener?.(reason);
  }

  /** Runs `listener` on abort (at once when already aborted), replacing the one before. */
  onAbort(listener: (reason: unknown) => void): void {
    if (this.aborted) listener(this.reason);
    else this.#listener = listener;
  }

  /** Drops the listener (the request it would cancel has ended). */
  clear(): void {
    this.#listener = undefined;
  }
}
