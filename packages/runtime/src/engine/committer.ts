import type { Clock } from "../clock.js";
import type { MetricsSink } from "../observe.js";
import { addSource } from "../sources.js";
import type { SourceAdvance } from "../store/source-positions.js";
import type { CommitBatch, Fence, IngressMessage, StateDrop, Store, StoredMessage } from "../store/types.js";
import { type CommitUnit, EMPTY } from "./commit-unit.js";

/** What a finished commit hands back to the engine, in commit order. */
export interface CommittedBatch {
  readonly units: readonly CommitUnit[];
  /** The stored form of each unit's messages (ingress message first), index-aligned with `units`. */
  readonly stored: readonly (readonly StoredMessage[])[];
  readonly cancelTokens: readonly string[];
  /** The highest seq handed out for this batch (0 when it inserted no message). */
  readonly maxSeq: number;
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
  /** A commit failed: nothing commits any more. */
  readonly onFatal: (error: unknown) => void;
  /** Overlap invoking and committing (see `Committer`; default false). */
  readonly pipelined?: boolean;
}

/** A queue at least this long is committed in two halves when `pipelined` (see `Committer`). */
const SPLIT_FROM = 1_000;
/** Seqs reserved at a time when `pipelined`, so that most commits start without a round trip for them. */
const SEQ_RESERVE = 20_000;

/**
 * The commit pipeline: units are grouped into one store transaction per batch (group
 * commit) and committed strictly in order, one batch at a time. While a batch commits, the
 * next one fills.
 *
 * `pipelined` (for stores whose commits are I/O, as PostgreSQL's): when a batch has committed, the
 * next one goes to the store *before* the engine is told (and runs the invocations the committed
 * messages start), so invoking and committing overlap. A long queue that finds no commit under
 * way is split in two halves, so that there is always a half to invoke while the other commits.
 * Commits still go to the store one at a time, in order, each only once the one before committed.
 * Seqs are then taken from a reserve (`SEQ_RESERVE` at a time): a commit goes to the store without
 * waiting for a round trip first, and seqs still grow from one own commit to the next (cluster mode
 * orders messages by commit position, then seq: it does not need seqs in commit order across workers).
 */
export class Committer {
  private queue: CommitUnit[] = [];
  private running = false;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];
  /** Units handed to the store whose engine side has not run yet, in commit order. */
  private readonly committing: CommitUnit[][] = [];
  private readonly unitWaiters: { units: Set<CommitUnit>; resolve: () => void }[] = [];
  private failure: unknown;
  private reserved = 0;
  private reservedEnd = 0;

  private readonly store: Store;
  private readonly fence: () => Fence;
  private readonly maxBatch: number;
  private readonly clock: Clock;
  private readonly metrics: MetricsSink;
  private readonly onCommitted: (batch: CommittedBatch) => void;
  private readonly onFatal: (error: unknown) => void;
  private readonly pipelined: boolean;

  constructor(options: CommitterOptions) {
    this.store = options.store;
    this.fence = options.fence;
    this.maxBatch = options.maxBatch;
    this.clock = options.clock;
    this.metrics = options.metrics;
    this.onCommitted = options.onCommitted;
    this.onFatal = options.onFatal;
    this.pipelined = options.pipelined ?? false;
  }

  get pending(): number {
    return this.queue.length;
  }

  enqueue(unit: CommitUnit): void {
    if (this.failure !== undefined) {
      unit.failed?.(this.failure);
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
    }
    this.schedule();
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
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    // Let the invocations of this turn finish first: they join the same batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.loop();
    });
  }

  /**
   * Commits one batch, then yields to I/O and timers before the next (ingress must not starve).
   * Pipelined, it goes on with the next batch while there is one, starting its commit before
   * handing over the one that committed (each commit awaits I/O: nothing starves).
   */
  private async loop(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      let inFlight = this.next(true);
      while (inFlight !== undefined) {
        const finish = await inFlight;
        inFlight = this.pipelined && finish !== undefined ? this.next(false) : undefined;
        // Let the next commit reach the store before the engine runs what this one started.
        if (inFlight !== undefined) await new Promise<void>((resolve) => setImmediate(resolve));
        finish?.();
      }
    } finally {
      this.running = false;
      if (this.queue.length === 0 || this.failure !== undefined) {
        for (const resolve of this.idleWaiters.splice(0)) resolve();
      } else {
        this.schedule();
      }
    }
  }

  /** Takes the next batch off the queue and starts its commit (undefined: nothing to commit). */
  private next(cold: boolean): Promise<(() => void) | undefined> | undefined {
    if (this.queue.length === 0 || this.failure !== undefined) return undefined;
    const size = this.batchSize(cold);
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

  /** Units of the next batch: up to `maxBatch` (half a long queue when a pipeline starts `cold`), a unit that goes `alone` by itself. */
  private batchSize(cold: boolean): number {
    const queue = this.queue;
    if (queue[0]!.alone) return 1;
    let max = Math.min(queue.length, this.maxBatch);
    if (this.pipelined && cold && max >= SPLIT_FROM) max = Math.ceil(max / 2);
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
    const size = Math.max(count, SEQ_RESERVE);
    return this.store.allocateSeqs(size).then((first) => {
      this.reserved = first + count;
      this.reservedEnd = first + size;
      return first;
    });
  }

  /** Commits `units`; resolves, once committed, to what tells the engine (undefined when the commit failed). */
  private async commit(units: CommitUnit[]): Promise<(() => void) | undefined> {
    const count = units.reduce((n, u) => n + u.messages.length + (u.ingress ? 1 : 0) + (u.source?.messages.length ?? 0), 0);
    const started = performance.now();
    try {
      let seq = count > 0 ? await this.seqs(count) : 0;
      const stored: StoredMessage[][] = [];
      const ingress: IngressMessage[] = [];
      const messages: StoredMessage[] = [];
      const touched = new Set<number>();
      const batch = {
        now: this.clock.now(),
        fence: this.fence(),
        touchedKeyGroups: touched,
        ingress,
        consumed: [] as number[],
        cancelTokens: [] as string[],
        messages,
        drops: [] as StateDrop[],
        state: [] as CommitBatch["state"][number][],
        egress: [] as CommitBatch["egress"][number][],
        replies: [] as CommitBatch["replies"][number][],
        deadLetters: [] as CommitBatch["deadLetters"][number][],
        replayed: [] as number[],
        sources: [] as SourceAdvance[],
      } satisfies CommitBatch;
      const sourceOf = new Map<number, number>();
      for (const u of units) {
        const mine: StoredMessage[] =
          u.ingress === undefined && u.messages.length === 0 && u.source === undefined ? (EMPTY as unknown as StoredMessage[]) : [];
        if (u.ingress) {
          const m = u.ingress.message;
          m.seq = seq++;
          u.ingress.early?.assigned(m);
          ingress.push({
            ...m,
            requestId: u.ingress.requestId,
            idempotencyKey: u.ingress.idempotencyKey,
            fingerprint: u.ingress.fingerprint,
          });
          mine.push(m);
        }
        for (const kg of u.touchedKeyGroups) touched.add(kg);
        for (const s of u.consumed) batch.consumed.push(s);
        for (const t of u.cancelTokens) batch.cancelTokens.push(t);
        for (const m of u.messages) {
          m.seq = seq++;
          messages.push(m);
          mine.push(m);
        }
        for (const d of u.drops) batch.drops.push(d);
        for (const w of u.state) batch.state.push(w);
        for (const e of u.egress) batch.egress.push(e);
        for (const r of u.replies) batch.replies.push(r);
        for (const d of u.deadLetters) batch.deadLetters.push(d);
        for (const r of u.replayed) batch.replayed.push(r);
        if (u.source) seq = addSource(batch.sources, u.source, seq, mine, sourceOf, stored.length);
        stored.push(mine);
      }
      const storeStarted = performance.now();
      const result = await this.store.commit(batch);
      const commitMs = performance.now() - storeStarted;
      this.metrics.observe("commit_batch_size", units.length);
      this.metrics.observe("commit_latency_seconds", (performance.now() - started) / 1000);
      const duplicateOf: (string | undefined)[] = units.map((u) => {
        const key = u.ingress?.idempotencyKey;
        const first = key === undefined ? undefined : result.duplicates.get(key);
        return first === u.ingress?.requestId ? undefined : first;
      });
      // An advance of a source whose position moved was not stored: nothing of it is delivered.
      for (const [i, at] of sourceOf) if (result.rejectedSources?.has(at)) stored[i] = EMPTY as unknown as StoredMessage[];
      // A duplicate ingress message was not stored: it must not be delivered either.
      for (let i = 0; i < units.length; i++) if (duplicateOf[i] !== undefined) stored[i] = stored[i]!.slice(1);
      const maxSeq = count > 0 ? seq - 1 : 0;
      return () => {
        this.onCommitted({ units, stored, cancelTokens: batch.cancelTokens, maxSeq });
        for (let i = 0; i < units.length; i++) {
          const at = sourceOf.get(i);
          if (at !== undefined && result.rejectedSources?.has(at)) units[i]!.source!.rejected?.();
          units[i]!.committed?.(stored[i]!, duplicateOf[i], commitMs);
        }
      };
    } catch (error) {
      // A failed commit leaves memory ahead of the store: nothing after it may commit.
      this.failure = error;
      for (const u of [...units, ...this.queue]) u.failed?.(error);
      this.queue = [];
      this.onFatal(error);
      return undefined;
    }
  }
}
