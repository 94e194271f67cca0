import type { Logger } from "../observe.js";
import { isNoSpace } from "../store/no-space.js";
import type { CommitUnit } from "./commit-unit.js";

/** First wait before a commit that failed for lack of space is tried again; it doubles up to `MAX_DELAY_MS`. */
const FIRST_DELAY_MS = 50;
const MAX_DELAY_MS = 2_000;

/**
 * The commit pipeline's answer to a full disk. A commit that fails for lack of space
 * (`isNoSpace`) rolled back whole, so the engine's memory is only ahead of the store, as after
 * any commit not yet made: the batch is kept and committed again, after a backoff, until space
 * returns. Meanwhile requests from outside (ingress, admin edits) are refused with
 * `STATEFUN_DISK_FULL` rather than held, while what the engine itself produced (invocation
 * effects, sweeps, source advances) waits in order, so nothing is lost or applied twice.
 * Real timers, not the runtime's clock: the retries are about the disk, not virtual time.
 */
export class NoSpaceRetry {
  private failingSince: number | undefined;
  private delayMs = FIRST_DELAY_MS;
  /** Until then (after a failure) units from outside are refused; past it they are let through, as probes. */
  private quietUntil = 0;
  private waiting: { timer: NodeJS.Timeout; resolve: () => void } | undefined;

  constructor(private readonly logger: Logger | undefined) {}

  /** True from a commit that failed for lack of space until one commits. */
  get full(): boolean {
    return this.failingSince !== undefined;
  }

  /**
   * True while units from outside are refused at once: the disk is full and the backoff after the
   * last failure runs. Past it, they go to the store again (a probe: if it still fails, they are
   * refused then), so space coming back is seen even with nothing else to commit.
   */
  get refusing(): boolean {
    return this.failingSince !== undefined && Date.now() < this.quietUntil;
  }

  /** A commit failed with `error`: true when it is for lack of space, and the batch is to be retried. */
  absorbs(error: unknown): boolean {
    if (!isNoSpace(error)) return false;
    const now = Date.now();
    if (this.failingSince === undefined) {
      this.failingSince = now;
      this.logger?.error(
        { error: String(error) },
        "the store's disk is full: commits are retried until space returns; new messages are refused (507) meanwhile",
      );
    }
    this.quietUntil = now + this.delayMs;
    this.delayMs = Math.min(MAX_DELAY_MS, this.delayMs * 2);
    return true;
  }

  /** A commit went through: space is back (if it was ever gone). */
  committed(): void {
    if (this.failingSince === undefined) return;
    this.logger?.info({ fullForMs: Date.now() - this.failingSince }, "the store's disk has space again: commits go on");
    this.failingSince = undefined;
    this.delayMs = FIRST_DELAY_MS;
    this.quietUntil = 0;
  }

  /** Resolves once the backoff after the last failure is over, or at once on `wake`. */
  backoff(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake(), Math.max(0, this.quietUntil - Date.now()));
      this.waiting = { timer, resolve };
    });
  }

  /** Ends the backoff under way now (the pipeline is closing). */
  wake(): void {
    const waiting = this.waiting;
    if (waiting === undefined) return;
    this.waiting = undefined;
    clearTimeout(waiting.timer);
    waiting.resolve();
  }
}

/**
 * A unit that comes straight from a request from outside (an ingress message, an admin edit or
 * dead-letter replay): nothing in memory depends on it yet, so while the disk is full it can be
 * refused, its caller told to come back, instead of being held. Units of invocations (they consume
 * messages), sweeps and source advances are kept: the engine already acted on them, and so is an
 * awaited ingress message handed to its mailbox before its commit (`EarlyIngress`): an invocation
 * may have consumed it, and its effects are queued behind it.
 */
export function refusable(u: CommitUnit): boolean {
  return (
    u.failed !== undefined &&
    u.mailbox === undefined &&
    u.consumed.length === 0 &&
    u.source === undefined &&
    u.ingress?.handedOver !== true &&
    !u.alone
  );
}
