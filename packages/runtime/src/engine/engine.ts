import { StatefunError } from "@statefun-ts/protocol";
import type { FunctionGauge, GaugeSnapshot } from "../observe.js";
import { Parking } from "../parking.js";
import type { SourcePart } from "../sources.js";
import type { StoredMessage, StoreStats } from "../store/types.js";
import { Admission } from "./admission.js";
import { type CommitUnit, unit } from "./commit-unit.js";
import { type CommittedBatch, Committer } from "./committer.js";
import type { EngineContext } from "./context.js";
import { Dispatcher } from "./dispatcher.js";
import { EarlyIngress } from "./early-ingress.js";
import { EarlySources } from "./early-sources.js";
import type { Inbox } from "./inbox.js";
import type { ClusterSnapshot, EngineParts, Ownership } from "./ownership.js";
import { StoreCounts } from "./store-counts.js";
import { Sweeper } from "./sweeper.js";
import { Timers } from "./timers.js";

/**
 * Commits in flight at once for a store that queues them (see `CommitConcurrency.queuesCommits`):
 * enough for the batches a long turn hands over as it goes (see `CommitterOptions.eagerFrom`) to
 * wait at the store's thread instead of in the engine's queue.
 */
const COMMITS_IN_FLIGHT = 4;

/** Time between two purges of old replies and idempotency keys. */
const PURGE_EVERY_MS = 60_000;

/**
 * One incarnation of the engine: the moving parts (commit pipeline, dispatcher, inbox, timers,
 * parking, sweeper, admission) built whole from what the store holds, around one `Ownership` of key
 * groups. A runtime has one at a time: a cluster worker that is fenced throws its engine away
 * whole (nothing of its memory is ever committed) and builds a new one.
 */
export class Engine {
  readonly committer: Committer;
  readonly dispatcher: Dispatcher;
  readonly inbox: Inbox;
  readonly timers: Timers;
  readonly parking: Parking;
  readonly sweeper: Sweeper;
  readonly admission: Admission;
  /** The store's counts, kept in memory (`Runtime.storeCounts`). */
  readonly counts: StoreCounts;
  /** Awaited ingress messages handed over before their commit (a single owner only). */
  private readonly early: EarlyIngress | undefined;
  /** Source advances handed over before their commit (a single owner only). */
  private readonly earlySources: EarlySources | undefined;
  /** False once stopping, failed or thrown away: nothing new is started and nothing rescheduled. */
  private running = true;
  private purgeTimer: { cancel(): void } | undefined;
  private parkSweep: { cancel(): void } | undefined;

  /** Takes the key groups held from the start and reads what the parts start from. */
  static async create(context: EngineContext, ownership: Ownership): Promise<Engine> {
    await ownership.acquire();
    await context.stateSpecs.load();
    const [stats, egressByTopic] = await Promise.all([context.store.stats(), context.store.egressDepth()]);
    return new Engine(context, ownership, stats, egressByTopic);
  }

  private constructor(
    private readonly context: EngineContext,
    private readonly ownership: Ownership,
    stats: StoreStats,
    egressByTopic: ReadonlyMap<string, number>,
  ) {
    const backlog = stats.messages;
    this.counts = new StoreCounts(stats, egressByTopic);
    const { store, clock, logger, metrics, limits, bindings } = context;
    const fatal = (error: unknown) => context.fatal(this, error);
    const owned = () => ownership.owned;
    const owns = (keyGroup: number) => ownership.owns(keyGroup);
    // Messages in memory; while the disk is full, also the units waiting to commit (their messages
    // were consumed in memory only), so the backlog is not read into memory while nothing commits.
    const held = () => this.dispatcher.buffered + (this.committer.storeFull ? this.committer.pending : 0);
    const early = ownership.earlyIngress ? new EarlyIngress() : undefined;
    this.early = early;
    this.committer = new Committer({
      store,
      fence: () => ownership.fence,
      maxBatch: limits.maxCommitBatch,
      clock,
      metrics,
      onCommitted: (batch) => this.committed(batch),
      onFatal: fatal,
      pipelined: ownership.pipelinedCommits,
      logger,
      maxInFlight: store.queuesCommits === true ? COMMITS_IN_FLIGHT : 1,
      early,
    });
    this.admission = new Admission({
      context,
      committer: this.committer,
      owns,
      backlog,
      early: early && {
        seqs: early,
        // Not past a backlog waiting in the store: it may hold messages to the same address.
        deliver: (m, type) => !this.inbox.backlogInStore && this.dispatcher.deliverEarly(m, limits.maxBufferedMessages, type),
      },
    });
    this.earlySources =
      early &&
      new EarlySources({
        enqueue: (u) => this.committer.enqueue(u),
        // Not past a backlog waiting in the store: it may hold messages to the same addresses.
        handOver: (part) => !this.inbox.backlogInStore && this.dispatcher.handOverEarly(part.messages),
        broken: fatal,
      });
    this.parking = new Parking({
      store,
      clock,
      logger,
      owned,
      handedOver: () => this.inbox.handedOver,
      redeliver: (type) => this.inbox.redeliverParked(type),
      bound: (type) => bindings.binding(type) !== undefined,
      quiet: (type) => this.dispatcher.quiet(type),
      buffered: held,
      maxBuffered: limits.maxBufferedMessages,
      deliver: (m) => this.dispatcher.deliver(m, true),
      deadLetter: (messages, reason) => this.parkedToDeadLetters(messages, reason),
      timeoutMs: context.parkTimeoutMs,
    });
    const fire = (m: StoredMessage) => {
      metrics.count("timers_fired");
      this.dispatcher.deliver(m);
    };
    this.timers = new Timers({
      store,
      keyGroups: owned,
      clock,
      owns,
      fire: ownership.fireTimers(fire, { running: () => this.running, dropped: (m) => this.timers.consumed(m.seq) }),
    });
    this.dispatcher = new Dispatcher({
      store,
      bindings,
      committer: this.committer,
      clock,
      logger,
      metrics,
      keyGroups: context.keyGroups,
      maxInFlight: limits.maxInFlightInvocations,
      maxPendingCommits: limits.maxPendingCommits,
      maxCachedAddresses: limits.maxCachedAddresses,
      maxCacheBytes: limits.maxCacheBytes,
      cancel: (token) => {
        this.timers.cancel(token);
        this.committer.cancelQueued(token);
      },
      released: () => {
        if (this.inbox.backlogInStore) this.inbox.pump();
      },
      parking: this.parking,
      active: owns,
      early,
      chain: early && { open: () => !this.inbox.backlogInStore, maxBuffered: limits.maxBufferedMessages },
    });
    this.inbox = ownership.createInbox({
      store,
      keyGroups: owned,
      maxBuffered: limits.maxBufferedMessages,
      buffered: held,
      deliver: early ? (m) => early.handedOverEarly(m) || this.dispatcher.deliver(m) : (m) => this.dispatcher.deliver(m),
      onError: fatal,
    });
    this.sweeper = new Sweeper(
      {
        store,
        clock,
        metrics,
        logger,
        owned,
        commit: (u) => this.committer.enqueue(u),
        release: (address) => this.dispatcher.release(address),
      },
      context.sweep,
    );
  }

  /** Enqueues a unit with a source advance (see `sources.ts`), its messages handed over before its commit when they may. */
  enqueueSource(u: CommitUnit & { readonly source: SourcePart }): void {
    if (this.earlySources !== undefined) this.earlySources.enqueue(u);
    else this.committer.enqueue(u);
  }

  /** The stored positions of a source (see `sources.ts`). */
  sourcePositions(source: string): Promise<Map<string, number>> {
    const read = () => this.context.store.loadSourcePositions(source);
    return this.earlySources !== undefined ? this.earlySources.positions(source, read) : read();
  }

  /**
   * Sources are to hold their next records: the runtime is overloaded, or (when their records are
   * handed over before their commit) the mailboxes hold as many messages as memory may, and the
   * records wait in their source rather than in the store.
   */
  sourcesOverloaded(): boolean {
    if (this.admission.overloaded()) return true;
    return this.earlySources !== undefined && this.dispatcher.buffered >= this.context.limits.maxBufferedMessages;
  }

  /** Recovers from the store and starts every part; the ownership starts driving them last. */
  async start(): Promise<void> {
    await this.parking.start();
    this.inbox.pump();
    await this.timers.start();
    await this.ownership.start(this.parts());
    this.sweeper.start();
    this.schedulePurge();
    this.scheduleParkSweep();
  }

  /** Stops taking work, lets running invocations finish and (unless `failed`) commits and leaves. */
  async stop(failed: boolean, drainMs = this.context.limits.stopDrainMs): Promise<void> {
    this.running = false;
    this.purgeTimer?.cancel();
    this.parkSweep?.cancel();
    this.parking.stop();
    await this.ownership.stop();
    this.timers.stop();
    await this.sweeper.stop();
    await this.dispatcher.stop(drainMs);
    if (failed) return;
    // A full disk does not hold the stop: what cannot be committed is redone from the store at the next start.
    this.committer.stopRetrying(new StatefunError("STATEFUN_CLOSED", "stopped while the store's disk was full", { terminal: false }));
    await this.committer.flush();
    await this.ownership.leave().catch((error) => this.context.logger.warn({ error: String(error) }, "leaving the cluster failed"));
  }

  /** A fatal error: start nothing more, and let the key groups go. */
  fail(): void {
    this.running = false;
    void this.ownership.halt();
    this.timers.stop();
    void this.sweeper.stop();
    void this.dispatcher.stop();
  }

  /**
   * Fenced: its memory may be ahead of the store, so drop all of it (mailboxes, state, timers,
   * queued commits, whose ingress callers get `error`). Nothing of this engine is ever committed.
   */
  async discard(error: unknown): Promise<void> {
    this.running = false;
    this.purgeTimer?.cancel();
    this.parkSweep?.cancel();
    this.parking.stop();
    void this.sweeper.stop();
    this.timers.stop();
    this.inbox.close();
    void this.dispatcher.stop();
    this.committer.close(error);
    await this.committer.flush();
    await this.ownership.halt();
  }

  /** Key groups in all (the store's). */
  get keyGroups(): number {
    return this.context.keyGroups;
  }

  /** The key groups this engine runs now. */
  get owned(): readonly number[] {
    return this.ownership.owned;
  }

  /** The cluster as this engine's ownership last saw it. */
  clusterView(): ClusterSnapshot {
    return this.ownership.clusterView();
  }

  /** Per function type with addresses in memory: messages queued, addresses busy or retrying. */
  functionGauges(): Map<string, FunctionGauge> {
    return this.dispatcher.functionGauges();
  }

  gauges(): GaugeSnapshot {
    return {
      bufferedMessages: this.dispatcher.buffered,
      inFlightInvocations: this.dispatcher.running,
      pendingCommits: this.committer.pending,
      cachedAddresses: this.dispatcher.cachedAddresses,
      cachedBytes: this.dispatcher.cachedBytes,
      parkedMessages: this.parking.total,
    };
  }

  /** After each commit, in commit order: hand the new messages on, wake waiting callers. */
  private committed(batch: CommittedBatch): void {
    const { inbox, timers, admission } = this;
    timers.cancelsCommitted(batch.cancelTokens);
    const { units, stored } = batch;
    let size = 0;
    for (let i = 0; i < stored.length; i++) size += stored[i]!.length;
    // Sized once (most stored messages are immediate); trimmed below if some were delayed.
    const immediate: StoredMessage[] = new Array(size);
    let n = 0;
    // Immediate messages handed to their mailboxes before this commit (see `Dispatcher`).
    let chained = 0;
    let consumed = 0;
    let firedConsumed = 0;
    for (let i = 0; i < units.length; i++) {
      const u = units[i]!;
      if (u.mailbox) u.mailbox.pendingCommits--;
      const delivered = u.delivered === true;
      const seqs = u.consumed;
      for (let k = 0; k < seqs.length; k++) {
        const seq = seqs[k]!;
        if (timers.consumed(seq)) {
          firedConsumed++;
          continue;
        }
        consumed++;
        inbox.consumed(seq);
      }
      const messages = stored[i]!;
      for (let k = 0; k < messages.length; k++) {
        const m = messages[k]!;
        if (m.dueAt !== undefined) timers.offer(m);
        else if (delivered) chained++;
        else immediate[n++] = m;
      }
      if (u.replies.length > 0) for (const r of u.replies) this.context.waiters.resolve(r.requestId, r.argument);
    }
    if (n < size) immediate.length = n;
    this.counts.committed(batch.commit, batch.result, {
      immediateAdded: n + chained,
      delayedAdded: size - n - chained,
      immediateConsumed: consumed,
      delayedConsumed: firedConsumed,
    });
    admission.committed(immediate, consumed, chained);
    inbox.committed(immediate, batch.maxSeq);
    // Messages that waited for this commit are in their mailboxes now (or the inbox reads them).
    for (let i = 0; i < units.length; i++) {
      if (units[i]!.delivered !== false) continue;
      for (const m of stored[i]!) if (m.dueAt === undefined) this.dispatcher.arrived(m);
    }
    this.early?.prune(inbox.handedOver);
    this.dispatcher.committed();
  }

  /** Reads the store's counts again (cluster mode: other workers change them too). */
  private resyncCounts(): void {
    Promise.all([this.context.store.stats(), this.context.store.egressDepth()]).then(
      ([stats, egressByTopic]) => {
        this.admission.backlogRead(stats.messages);
        this.counts.refreshed(stats, egressByTopic);
      },
      () => {},
    );
  }

  private parts(): EngineParts {
    const { owner, store, clock, logger, waiters } = this.context;
    return {
      owner,
      store,
      clock,
      logger,
      waiters,
      committer: this.committer,
      dispatcher: this.dispatcher,
      inbox: this.inbox,
      timers: this.timers,
      owns: (keyGroup) => this.ownership.owns(keyGroup),
      fatal: (error) => this.context.fatal(this, error),
      resyncBacklog: () => this.resyncCounts(),
    };
  }

  private parkedToDeadLetters(messages: readonly StoredMessage[], reason: string): Promise<void> {
    const now = this.context.clock.now();
    return new Promise<void>((resolve, reject) => {
      this.committer.enqueue(
        unit({
          touchedKeyGroups: [...new Set(messages.map((m) => m.keyGroup))],
          consumed: messages.map((m) => m.seq),
          deadLetters: messages.map((message) => ({ message, error: reason, attempts: 0, failedAt: now })),
          committed: () => resolve(),
          failed: reject,
        }),
      );
    });
  }

  private schedulePurge(): void {
    const { store, clock, limits, logger } = this.context;
    this.purgeTimer = clock.setTimeout(() => {
      void store
        .purge(clock.now() - limits.replyRetentionMs, 10_000)
        .catch((error) => logger.warn({ error: String(error) }, "purging old replies failed"))
        .finally(() => {
          if (this.running) this.schedulePurge();
        });
    }, PURGE_EVERY_MS);
  }

  private scheduleParkSweep(): void {
    const every = Math.max(50, Math.min(60_000, Math.floor(this.context.parkTimeoutMs / 4)));
    this.parkSweep = this.context.clock.setTimeout(() => {
      this.parking.sweep();
      if (this.running) this.scheduleParkSweep();
    }, every);
  }
}
