import type { Clock } from "../clock.js";
import type { Logger, MetricsSink } from "../observe.js";
import { diskFullError } from "../store/no-space.js";
import type { CommitBatch, CommitResult, Fence, Store, StoredMessage } from "../store/types.js";
import { formBatch, type HandedOver } from "./batch-form.js";
import { type CommitUnit, EMPTY } from "./commit-unit.js";
import { NoSpaceRetry, refusable } from "./no-space-retry.js";

/** What a finished commit hands back to the engine, in commit order. */
export interface CommittedBatch {
  readonly units: readonly CommitUnit[];
  /** The stored form of each unit's messages (ingress message first), index-aligned with `units`. */
  readonly stored: readonly (readonly StoredMessage[])[];
  readonly cancelTokens: readonly string[];
  /** The highest seq handed out for this batch (0 when it inserted no message). */
  readonly maxSeq: number;
  /** The batch as the store committed it, and what the store told back. */
  readonly commit: CommitBatch;
  readonly result: CommitResult;
}

export interface CommitterOptions {
  readonly store: Store;
  /** The fence of the next commit (the epochs held now). */
  readonly fence: () => Fence;
  /** Units in one commit at most. */
  readonly maxBatch: number;
  readonly clock: Clock;
  readonly metrics: MetricsSink;
  /** After each commit, in commit order. */
  readonly onCommitted: (batch: CommittedBatch) => void;
  /** A commit failed (for another reason than a full disk, see `NoSpaceRetry`): nothing commits any more. */
  readonly onFatal: (error: unknown) => void;
  /** Overlap invoking and committing (see `Committer`; default false). */
  readonly pipelined?: boolean;
  /** Where a full disk (and its end) is logged. */
  readonly logger?: Logger;
  /**
   * Commits handed to the store at once, at most (default 1): more than one only for a store
   * that queues commits (see `CommitConcurrency.queuesCommits`), and only when `pipelined`.
   */
  readonly maxInFlight?: number;
  /**
   * Units queued at least, for a commit to start while another is in flight (default
   * `OVERLAP_FROM`); fewer wait for the commit under way and go in the next batch.
   */
  readonly overlapFrom?: number;
  /**
   * Units queued at which a batch goes to the store at once, from `enqueue`, without waiting for
   * the invocations of this turn to finish (default `EAGER_FROM`; 0: never). Only with
   * `maxInFlight` above 1: a store thread then starts on the first units while the engine still
   * runs the rest of a long turn, instead of the two threads taking turns.
   */
  readonly eagerFrom?: number;
  /** Told the seqs of stored messages that were handed to their mailboxes before their commit (see `formBatch`). */
  readonly early?: HandedOver | undefined;
}

/** What a retried commit answers when the disk is still full (see `retryWhenFull`). */
const NO_SPACE = Symbol("no space");

/** A queue at least this long is committed in two halves when `pipelined` (see `Committer`). */
const SPLIT_FROM = 1_000;
/**
 * A commit starts while another is in flight only for a queue at least this long: a second commit
 * (and its fsync) for a few units costs more than it saves; under load the queue is far longer.
 */
const OVERLAP_FROM = 256;
/** Units queued at which a batch goes to a store that queues commits at once (see `eagerFrom`). */
const EAGER_FROM = 2_048;
/**
 * Units queued, with `maxInFlight` commits at the store, at which the store is `behind`: the
 * engine starts no invocation until it catches up. Twice as many for a store that takes one commit
 * at a time (its batches are the queue itself: fewer, larger commits).
 */
const BEHIND_FROM = 4_096;
/** Seqs reserved at a time when `pipelined`, so that most commits start without a round trip for them. */
const SEQ_RESERVE = 20_000;

/** The messages `units` store (their ingress messages too): the invocations they start once committed. */
function messagesOf(units: readonly CommitUnit[] | undefined): number {
  let count = 0;
  for (const u of units ?? []) count += u.messages.length + (u.ingress ? 1 : 0) + (u.source?.messages.length ?? 0);
  return count;
}

/**
 * The commit pipeline: units are grouped into one store transaction per batch (group
 * commit) and committed strictly in order, one batch at a time. While a batch commits, the
 * next one fills.
 *
 * `pipelined` (for stores whose commits are I/O, as PostgreSQL's): when a batch has committed, the
 * next one goes to the store *before* the engine is told (and runs the invocations the committed
 * messages start), so invoking and committing overlap, when at least `overlapFrom` units wait
 * (fewer go in the batch after what the engine runs then). A long queue that finds no commit under
 * way is split in two halves, so that there is always a half to invoke while the other commits.
 * Commits still go to the store one at a time, in order, each only once the one before committed.
 * Seqs are then taken from a reserve (`SEQ_RESERVE` at a time): a commit goes to the store without
 * waiting for a round trip first, and seqs still grow from one own commit to the next (cluster mode
 * orders messages by commit position, then seq: it does not need seqs in commit order across workers).
 *
 * `maxInFlight` above 1 (for a store that queues commits, applies them in the order handed and
 * refuses each one handed after one that failed): the next batch goes to the store as soon as it
 * forms, while earlier commits and their fsyncs are still under way, up to `maxInFlight` commits at
 * once, so that the store goes from one commit to the next without waiting for the engine (a
 * queue shorter than `overlapFrom` waits for the commit under way instead: one fsync for a few
 * units is the larger cost then; it goes to the store as soon as that commit is durable, before the
 * engine runs what that one started). The engine still hears of each commit only once it is durable,
 * in commit order. A long synchronous turn of the engine hands its units over every `eagerFrom`
 * as they come, instead of all at the turn's end: the two threads then work at once rather than
 * by turns.
 */
export class Committer {
  private queue: CommitUnit[] = [];
  private running = false;
  /** Commits handed to the store and not yet handed back, in commit order (each resolves to what tells the engine). */
  private readonly inFlight: Promise<(() => void) | undefined>[] = [];
  /** A refill of the seq reserve under way (later commits wait for it, so seqs grow with commit order). */
  private refilling: Promise<void> | undefined;
  /** Settles once the last commit that waited for its seqs has formed its batch (see `waitToForm`). */
  private formingTail: Promise<void> | undefined;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];
  /** Units handed to the store whose engine side has not run yet, in commit order. */
  private readonly committing: CommitUnit[][] = [];
  private readonly unitWaiters: { units: Set<CommitUnit>; resolve: () => void }[] = [];
  private failure: unknown;
  /** A commit failed and `onFatal` was called. */
  private fatal = false;
  private reserved = 0;
  private reservedEnd = 0;
  /** Set while stopping: a commit failing for lack of space fails its units with it instead of waiting for space. */
  private giveUp: unknown;
  /** Settles once the last commit retried for lack of space has committed or failed (see `retryWhenFull`). */
  private retryTail: Promise<void> = Promise.resolve();

  private readonly store: Store;
  private readonly fence: () => Fence;
  private readonly maxBatch: number;
  private readonly clock: Clock;
  private readonly metrics: MetricsSink;
  private readonly onCommitted: (batch: CommittedBatch) => void;
  private readonly onFatal: (error: unknown) => void;
  private readonly pipelined: boolean;
  private readonly noSpace: NoSpaceRetry;
  private readonly maxInFlight: number;
  private readonly overlapFrom: number;
  private readonly eagerFrom: number;
  private readonly early: HandedOver | undefined;

  constructor(options: CommitterOptions) {
    this.store = options.store;
    this.fence = options.fence;
    this.maxBatch = options.maxBatch;
    this.clock = options.clock;
    this.metrics = options.metrics;
    this.onCommitted = options.onCommitted;
    this.onFatal = options.onFatal;
    this.pipelined = options.pipelined ?? false;
    this.noSpace = new NoSpaceRetry(options.logger);
    this.maxInFlight = this.pipelined ? Math.max(1, options.maxInFlight ?? 1) : 1;
    this.overlapFrom = options.overlapFrom ?? OVERLAP_FROM;
    this.eagerFrom = this.maxInFlight > 1 ? (options.eagerFrom ?? EAGER_FROM) : 0;
    this.early = options.early;
  }

  get pending(): number {
    return this.queue.length;
  }

  /**
   * The store has `maxInFlight` commits and `BEHIND_FROM` units wait besides (twice as many, commit
   * under way or not, for a store that takes one at a time): invocations wait for it rather than
   * queue more (their messages to other functions need not wait for a commit, see `Dispatcher`, so
   * nothing else holds the engine back; queued units hold memory).
   */
  get behind(): boolean {
    if (this.maxInFlight === 1) return this.queue.length >= 2 * BEHIND_FROM;
    return this.queue.length >= BEHIND_FROM && this.inFlight.length >= this.maxInFlight;
  }

  enqueue(unit: CommitUnit): void {
    if (this.failure !== undefined) {
      unit.failed?.(this.failure);
      return;
    }
    if (this.noSpace.refusing && refusable(unit)) {
      unit.failed?.(diskFullError());
      return;
    }
    if (unit.alone) {
      // Background work does not wait behind the foreground's queue: it only ever touches what
      // no queued unit touches (see `Sweeper`), so its place in the order does not matter.
      let at = 0;
      while (at < this.queue.length && this.queue[at]!.alone) at++;
      this.queue.splice(at, 0, unit);
    } else {
      this.queue.push(unit);
      // A long turn (a big batch just committed and running): its first units go now, so that the
      // store works on them while the engine runs the rest.
      if (this.eagerFrom > 0 && this.queue.length >= this.eagerFrom && this.inFlight.length < this.maxInFlight) {
        this.post();
        return;
      }
    }
    this.schedule();
  }

  /** True while commits fail for lack of disk space (they are retried; requests from outside are refused). */
  get storeFull(): boolean {
    return this.noSpace.full;
  }

  /**
   * Stopping: a commit that fails for lack of space is no longer retried; its units, and those
   * queued, fail with `error`. Nothing of them was committed, so the store still holds what they
   * consumed, and the next start redoes it.
   */
  stopRetrying(error: unknown): void {
    this.giveUp = error;
    if (this.noSpace.full) this.close(error);
  }

  /** True once a commit failed (or `close` was called): nothing commits any more. */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Refuses everything from now on (queued units fail with `error`); a commit under way still ends. */
  close(error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    for (const u of this.queue.splice(0)) u.failed?.(error);
    for (const w of this.unitWaiters.splice(0)) w.resolve();
    this.noSpace.wake();
  }

  /** Removes delayed sends with `token` from units not yet handed to the store. */
  cancelQueued(token: string): void {
    for (const u of this.queue) {
      if (u.messages.some((m) => m.cancellationToken === token && m.dueAt !== undefined)) {
        u.messages = u.messages.filter((m) => !(m.cancellationToken === token && m.dueAt !== undefined));
      }
    }
  }

  /**
   * Resolves once every unit enqueued so far is committed and handed back (or the pipeline
   * failed), however many units come after them: a key group being given up waits for its own
   * units only, while the others' traffic goes on.
   */
  settled(): Promise<void> {
    if (this.failure !== undefined) return Promise.resolve();
    const units = new Set<CommitUnit>(this.queue);
    for (const batch of this.committing) for (const u of batch) units.add(u);
    if (units.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.unitWaiters.push({ units, resolve }));
  }

  /** Resolves once the pipeline is idle: nothing queued, nothing committing (or it failed). */
  flush(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || (this.running && this.inFlight.length >= this.maxInFlight)) return;
    this.scheduled = true;
    // Let the invocations of this turn finish first: they join the same batch.
    setImmediate(this.postLater);
  }

  /** `post` from `setImmediate`: made once (a closure made in `schedule` would cost each enqueue an allocation). */
  private readonly postLater = (): void => {
    this.scheduled = false;
    this.post();
  };

  /** Hands batches to the store while there is room (one at a time unless `maxInFlight` allows more). */
  private post(): void {
    if (this.running && this.inFlight.length >= this.maxInFlight) return;
    this.topUp(this.inFlight.length === 0);
    if (!this.running && this.inFlight.length > 0) void this.loop();
  }

  /**
   * Starts commits of queued batches up to `maxInFlight` (the first `cold`, see `batchSize`); true
   * when one started. `following`: the messages of the commit that just finished, whose
   * invocations the engine runs next (see `batchSize`).
   */
  private topUp(cold: boolean, following = 0): boolean {
    let started = false;
    while (this.inFlight.length < this.maxInFlight) {
      if (this.inFlight.length > 0 && this.queue.length < this.overlapFrom) break;
      const commit = this.next(cold && !started, started ? 0 : following);
      if (commit === undefined) break;
      this.inFlight.push(commit);
      started = true;
    }
    return started;
  }

  /**
   * Hands back the commits in order as each becomes durable, then yields to I/O and timers before
   * the next (ingress must not starve). Pipelined, it starts the next commit before handing over
   * the one that committed (each commit awaits I/O: nothing starves).
   */
  private async loop(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.inFlight.length > 0) {
        const finish = await this.inFlight[0]!;
        this.inFlight.shift();
        if (finish === undefined) continue;
        // A long queue: let the next commit reach the store before the engine runs what this one
        // started. A short one waits for that too (it goes in the next batch with what the engine
        // then runs), so commits stay few; but not with a store that queues commits (its thread):
        // the batch reaches it in this turn, and it commits while the engine answers the requests
        // of this commit (their clients' next requests come a round trip later anyway).
        if (this.pipelined && this.queue.length >= this.overlapFrom && this.topUp(false, messagesOf(this.committing[0]))) {
          await new Promise<void>((resolve) => setImmediate(resolve));
        } else if (this.maxInFlight > 1 && this.queue.length > 0) this.topUp(false);
        finish();
        if (!this.pipelined) break;
      }
    } finally {
      this.running = false;
      if (this.inFlight.length > 0) void this.loop();
      else if (this.queue.length === 0 || this.failure !== undefined) {
        for (const resolve of this.idleWaiters.splice(0)) resolve();
      } else {
        this.schedule();
      }
    }
  }

  /** Takes the next batch off the queue and starts its commit (undefined: nothing to commit). */
  private next(cold: boolean, following: number): Promise<(() => void) | undefined> | undefined {
    if (this.queue.length === 0 || this.failure !== undefined) return undefined;
    const size = this.batchSize(cold, following);
    const units = this.queue.length === size ? this.queue : this.queue.slice(0, size);
    this.queue = units === this.queue ? [] : this.queue.slice(size);
    this.committing.push(units);
    return this.commit(units).then((finish) => {
      if (finish === undefined) {
        for (const w of this.unitWaiters.splice(0)) w.resolve();
        return undefined;
      }
      return () => {
        finish();
        this.committing.shift();
        if (this.unitWaiters.length > 0) this.handedBack(units);
      };
    });
  }

  /** Units committed and handed back: resolves the `settled` calls waiting for nothing else. */
  private handedBack(units: readonly CommitUnit[]): void {
    for (let i = 0; i < this.unitWaiters.length; i++) {
      const w = this.unitWaiters[i]!;
      for (const u of units) w.units.delete(u);
      if (w.units.size > 0) continue;
      this.unitWaiters.splice(i--, 1);
      w.resolve();
    }
  }

  /**
   * Units of the next batch: up to `maxBatch` (half a long queue when a pipeline starts `cold`), a
   * unit that goes `alone` by itself. Pipelined with one commit at a time, a long queue that follows
   * a shorter commit (`following` messages, whose invocations the engine runs while this batch commits)
   * gives it only half of both: the two halves of a chain even out instead of keeping the split they
   * happened to start with (7,000 and 3,000: the engine then has 7,000 invocations to run under the
   * commit of 3,000 and little to do under the other).
   */
  private batchSize(cold: boolean, following = 0): number {
    const queue = this.queue;
    if (queue[0]!.alone) return 1;
    let max = Math.min(queue.length, this.maxBatch);
    if (this.pipelined && cold && max >= SPLIT_FROM) max = Math.ceil(max / 2);
    else if (this.pipelined && this.maxInFlight === 1 && max >= SPLIT_FROM && max > following && following > 0) {
      max = Math.min(max, Math.ceil((queue.length + following) / 2));
    }
    for (let i = 1; i < max; i++) if (queue[i]!.alone) return i;
    return max;
  }

  /** The first of `count` new seqs (pipelined: from the reserve, refilled when short). */
  private seqs(count: number): number | Promise<number> {
    if (!this.pipelined) return this.store.allocateSeqs(count);
    if (this.reservedEnd - this.reserved >= count) {
      const first = this.reserved;
      this.reserved += count;
      return first;
    }
    if (this.refilling !== undefined) return this.refilling.then(() => this.seqs(count));
    const size = Math.max(count, SEQ_RESERVE);
    const refill = this.store.allocateSeqs(size).then(
      (first) => {
        this.refilling = undefined;
        this.reserved = first;
        this.reservedEnd = first + size;
      },
      (error: unknown) => {
        this.refilling = undefined;
        throw error;
      },
    );
    this.refilling = refill;
    return refill.then(() => this.seqs(count));
  }

  /**
   * A commit that waits for its seqs (a refill of the reserve) becomes the one later commits form
   * their batches behind, so that batches form, and reach the store, in the order they were taken
   * off the queue (a receiver's unit never before the unit that sent its message, see `formBatch`).
   * Returns what to call once its batch formed (or it failed).
   */
  private waitToForm(): () => void {
    let done!: () => void;
    const mine = new Promise<void>((resolve) => {
      done = resolve;
    });
    this.formingTail = mine;
    return () => {
      done();
      if (this.formingTail === mine) this.formingTail = undefined;
    };
  }

  /** Commits `units`; resolves, once committed, to what tells the engine (undefined when the commit failed). */
  private commit(units: CommitUnit[]): Promise<(() => void) | undefined>;
  /** A retry while the disk is full: `NO_SPACE` when it still is (the caller waits and tries again). */
  private commit(units: CommitUnit[], retrying: true): Promise<(() => void) | undefined | typeof NO_SPACE>;
  private async commit(units: CommitUnit[], retrying = false): Promise<(() => void) | undefined | typeof NO_SPACE> {
    const count = messagesOf(units);
    const started = performance.now();
    let formed: (() => void) | undefined;
    try {
      // Seqs from the reserve come synchronously: the batch then reaches the store in this turn.
      // Behind a commit still waiting for its seqs, it waits its turn (see `formingTail`).
      const before = this.formingTail;
      let seqs = before !== undefined ? undefined : count > 0 ? this.seqs(count) : 0;
      if (typeof seqs !== "number") {
        formed = this.waitToForm();
        if (before !== undefined) await before;
        seqs ??= count > 0 ? this.seqs(count) : 0;
      }
      const first = typeof seqs === "number" ? seqs : await seqs;
      const { batch, stored, sourceOf, nextSeq } = formBatch(units, first, this.clock.now(), this.fence(), this.early);
      formed?.();
      const storeStarted = performance.now();
      const result = await this.store.commit(batch);
      this.noSpace.committed();
      // The store's own time when it reports it (a store that queues commits: the wait is not its work).
      const commitMs = result.storeMs ?? performance.now() - storeStarted;
      this.metrics.observe("commit_batch_size", units.length);
      this.metrics.observe("commit_latency_seconds", (performance.now() - started) / 1000);
      const duplicates = result.duplicates;
      const duplicateOf: (string | undefined)[] | undefined =
        duplicates.size === 0
          ? undefined
          : units.map((u) => {
              const key = u.ingress?.idempotencyKey;
              const first = key === undefined ? undefined : duplicates.get(key);
              return first === u.ingress?.requestId ? undefined : first;
            });
      const rejected = result.rejectedSources;
      // An advance of a source whose position moved was not stored: nothing of it is delivered.
      if (rejected !== undefined) for (const [i, at] of sourceOf) if (rejected.has(at)) stored[i] = EMPTY as unknown as StoredMessage[];
      // A duplicate ingress message was not stored: it must not be delivered either.
      if (duplicateOf !== undefined)
        for (let i = 0; i < units.length; i++) if (duplicateOf[i] !== undefined) stored[i] = stored[i]!.slice(1);
      const maxSeq = count > 0 ? nextSeq - 1 : 0;
      return () => {
        this.onCommitted({ units, stored, cancelTokens: batch.cancelTokens, maxSeq, commit: batch, result });
        for (let i = 0; i < units.length; i++) {
          const u = units[i]!;
          if (rejected !== undefined && u.source !== undefined && rejected.has(sourceOf.get(i)!)) u.source.rejected?.();
          u.committed?.(stored[i]!, duplicateOf?.[i], commitMs);
        }
      };
    } catch (error) {
      formed?.();
      if (this.failure === undefined && this.noSpace.absorbs(error)) return retrying ? NO_SPACE : this.retryWhenFull(units, error);
      // A failed commit leaves memory ahead of the store: nothing after it may commit.
      for (const u of [...units, ...this.queue]) u.failed?.(error);
      this.queue = [];
      // A commit handed over after the one that failed is refused by the store (see `maxInFlight`):
      // the engine hears of the first failure only.
      if (this.fatal) return undefined;
      this.fatal = true;
      this.failure = error;
      this.onFatal(error);
      return undefined;
    }
  }

  /**
   * The store had no space for `units` (the transaction rolled back whole): refuses the units from
   * outside among them and in the queue (`refusable`), keeps the rest in place and commits them
   * again after a backoff, until space returns (see `NoSpaceRetry`).
   */
  private async retryWhenFull(units: CommitUnit[], error: unknown): Promise<(() => void) | undefined> {
    // With two commits in flight, the second is refused unapplied when the first finds the disk
    // full: it retries only once the one before it has committed, so the store applies them in order.
    const before = this.retryTail;
    let retried = () => {};
    this.retryTail = new Promise<void>((resolve) => {
      retried = resolve;
    });
    await before;
    try {
      return await this.retryInOrder(units, error);
    } finally {
      retried();
    }
  }

  private async retryInOrder(units: CommitUnit[], error: unknown): Promise<(() => void) | undefined> {
    const refused = diskFullError(error);
    const keep = (u: CommitUnit) => {
      if (!refusable(u)) return true;
      u.failed?.(refused);
      return false;
    };
    for (;;) {
      let kept = 0;
      for (const u of units) if (keep(u)) units[kept++] = u;
      units.length = kept;
      this.queue = this.queue.filter(keep);
      if (this.giveUp !== undefined) this.close(this.giveUp);
      else if (units.length > 0) await this.noSpace.backoff();
      if (this.failure !== undefined) {
        for (const u of units) u.failed?.(this.failure);
        return undefined;
      }
      if (units.length === 0) return () => {};
      const outcome = await this.commit(units, true);
      if (outcome !== NO_SPACE) return outcome;
    }
  }
}
