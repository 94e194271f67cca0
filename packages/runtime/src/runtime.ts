import { randomUUID } from "node:crypto";
import { type Address, checkAddress, functionTypeOf, keyGroupOf, StatefunError, type TypedValue } from "@statefun-ts/protocol";
import type { EgressRef, HttpIngress, StatefulFunction, StatefunModule } from "@statefun-ts/sdk";
import {
  type EgressClaimed,
  type EgressDelivery,
  INGRESS_CALLER_NAMESPACE,
  INGRESS_CALLER_TYPE,
  type IngestReceipt,
  type IngestRequest,
  type StateView,
} from "./api.js";
import type { Binding } from "./binding.js";
import { type Clock, systemClock } from "./clock.js";
import { cancelChecked } from "./engine/cancel-check.js";
import { type ClusterParts, clusterHooks, onStoreChange } from "./engine/cluster-hooks.js";
import { ClusterInbox } from "./engine/cluster-inbox.js";
import { unit } from "./engine/commit-unit.js";
import { type CommittedBatch, Committer } from "./engine/committer.js";
import { Dispatcher } from "./engine/dispatcher.js";
import { EgressOutbox } from "./engine/egress.js";
import { Inbox } from "./engine/inbox.js";
import { visibleState } from "./engine/instance-ttl.js";
import { type ClusterOptions, Ownership } from "./engine/ownership.js";
import { ReplyWaiters } from "./engine/replies.js";
import { encodeStateEdit, type StateEdit } from "./engine/state-edit.js";
import { DEFAULT_SWEEP, Sweeper, type SweepOptions } from "./engine/sweeper.js";
import { Timers } from "./engine/timers.js";
import { checkSameRequest, storedIdempotency } from "./idempotency.js";
import { type FunctionGauge, type GaugeSnapshot, type Logger, type MetricsSink, noMetrics, silentLogger } from "./observe.js";
import { Parking } from "./parking.js";
import { Registry } from "./registry.js";
import { type SourceSink, sourceSink } from "./sources.js";
import { StateSpecRegistry } from "./state-specs.js";
import type { DeadLetter, Fence, Lease, Store, StoredMessage, StoreInfo } from "./store/types.js";

/** Bounds that keep memory flat under any backlog. */
export interface Limits {
  /** Messages held in memory at most; the rest of a backlog stays in the store (default 20,000). */
  readonly maxBufferedMessages: number;
  /** Invocations running at once (default 1,024). */
  readonly maxInFlightInvocations: number;
  /** Ingress messages waiting for their commit before `ingest` answers STATEFUN_OVERLOADED (default 10,000). */
  readonly maxPendingIngress: number;
  /** Waiting messages in the store beyond which `ingest` answers STATEFUN_OVERLOADED (default 1,000,000). */
  readonly maxBacklog: number;
  /** Largest number of invocations and requests in one commit (default 20,000). */
  readonly maxCommitBatch: number;
  /** Addresses whose state is cached (default 100,000). */
  readonly maxCachedAddresses: number;
  /** How long replies and idempotency keys are kept (default 24 h). */
  readonly replyRetentionMs: number;
}

export interface RuntimeOptions {
  readonly store: Store;
  readonly modules?: readonly StatefunModule[];
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly metrics?: MetricsSink;
  readonly limits?: Partial<Limits>;
  /** Pacing of the background deletion of expired state (instance TTL, state TTL). */
  readonly sweep?: Partial<SweepOptions>;
  /** This worker's name in leases (default: random). */
  readonly owner?: string;
  /** How long messages to a function type with no binding are kept before they are dead-lettered (default 24 h). */
  readonly parkTimeoutMs?: number;
  /**
   * Cluster mode: several runtimes (processes) share the store and its key groups, with leases,
   * heartbeats and failover. Default: on when the store says it is shared (`StoreInfo.shared`).
   * `false` forces the single owner (which takes every key group, with no heartbeat cost).
   */
  readonly cluster?: ClusterOptions | boolean;
  /** Called when the runtime cannot go on (a commit failed, or its leases were taken): the process should exit and restart. */
  readonly onFatal?: (error: unknown) => void;
}

/** `Runtime.clusterView()`: members, leases, and the last heartbeat (epoch ms; undefined for a single owner). */
export interface ClusterSnapshot {
  readonly members: readonly string[];
  readonly leases: ReadonlyMap<number, Lease>;
  readonly heartbeatAt: number | undefined;
  readonly heartbeatMs: number | undefined;
  readonly leaseMs: number | undefined;
}

/** `RuntimeOptions.parkTimeoutMs` when not given. */
const DEFAULT_PARK_TIMEOUT_MS = 24 * 3_600_000;

const DEFAULT_LIMITS: Limits = {
  maxBufferedMessages: 20_000,
  maxInFlightInvocations: 1024,
  maxPendingIngress: 10_000,
  maxBacklog: 1_000_000,
  maxCommitBatch: 20_000,
  maxCachedAddresses: 100_000,
  replyRetentionMs: 24 * 3_600_000,
};

/**
 * The engine: owns key groups, dispatches messages to per-address mailboxes, runs
 * invocations, and group-commits their effects to the store exactly once.
 *
 * @example
 * const runtime = new Runtime({ store: new SqliteStore({ dir: ".statefun" }), modules: [myModule] });
 * await runtime.start();
 * await runtime.ingest({ target: person.at("bob"), argument: { typename, value } });
 */
export class Runtime {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly metrics: MetricsSink;
  private readonly limits: Limits;
  private readonly owner: string;
  private readonly registry = new Registry();
  /** States registered by remote functions, durable. */
  readonly stateSpecs: StateSpecRegistry;
  private readonly waiters = new ReplyWaiters();
  private outbox: EgressOutbox;
  private keyGroups = 0;
  private owned: number[] = [];
  private fence: Fence | undefined;
  private committer!: Committer;
  private dispatcher!: Dispatcher;
  private inbox!: Inbox | ClusterInbox;
  /** Cluster mode only. */
  private ownership: Ownership | undefined;
  private unwatch: (() => void) | undefined;
  private info: StoreInfo | undefined;
  private rejoining = false;
  private watchStore: (() => void) | undefined;
  private timers!: Timers;
  private parking: Parking | undefined;
  private parkSweep: { cancel(): void } | undefined;
  private sweeper: Sweeper | undefined;
  private pendingIngress = 0;
  /** Immediate messages committed and not yet consumed (an estimate kept in memory). */
  private backlog = 0;
  private state: "new" | "starting" | "running" | "stopping" | "stopped" | "failed" = "new";
  private purgeTimer: { cancel(): void } | undefined;

  constructor(private readonly options: RuntimeOptions) {
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.metrics = options.metrics ?? noMetrics;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.owner = options.owner ?? `worker-${randomUUID()}`;
    this.outbox = new EgressOutbox(this.store);
    this.stateSpecs = new StateSpecRegistry(this.store);
    for (const module of options.modules ?? []) this.load(module);
  }

  /**
   * Loads the functions, ingresses and egresses of a module (before or after `start`). A
   * function type loaded again is replaced: invocations in flight finish on the old code,
   * later messages run the new one. Parked messages of its types are delivered.
   */
  load(module: StatefunModule): void {
    this.registry.load(module);
    for (const fn of module.functions) this.parking?.bound(fn.typename);
  }

  /** Throws `STATEFUN_BAD_MODULE`, changing nothing, when `load(module)` would fail. */
  checkLoad(module: StatefunModule): void {
    this.registry.check(module);
  }

  /** Removes what a module loaded (functions, ingresses, egresses) and that no later load replaced; new messages to its types park. */
  unload(module: StatefunModule): void {
    this.registry.unload(module);
  }

  /** Removes the binding of a type or namespace (`ns/*`): its new messages park. True when there was one. */
  unbind(typename: string): boolean {
    return this.registry.unbind(typename);
  }

  /** Parked messages (no binding for their type) by function type. */
  parkedByType(): Map<string, number> {
    return this.parking?.byType() ?? new Map();
  }

  /** True once recovery is done and the runtime processes messages. */
  get ready(): boolean {
    return this.state === "running";
  }

  /** Recovers from the store and starts processing. */
  async start(): Promise<void> {
    if (this.state !== "new") throw new StatefunError("STATEFUN_CLOSED", `runtime cannot start: it is ${this.state}`);
    this.state = "starting";
    // A re-join after fencing keeps the store open.
    // A store that cannot be opened (a wrong URL, the database down) leaves nothing to stop.
    const info =
      this.info ??
      (await this.store.open().catch((error: unknown) => {
        this.state = "new";
        throw error;
      }));
    this.info = info;
    this.keyGroups = info.keyGroups;
    const cluster = this.options.cluster ?? info.shared ?? false;
    const ownership = cluster === false ? undefined : this.joinCluster(cluster === true ? {} : cluster);
    if (ownership === undefined) {
      this.owned = Array.from({ length: info.keyGroups }, (_, i) => i);
      const epochs = await this.store.acquire(this.owner, this.owned);
      this.fence = { owner: this.owner, epochs };
    }
    await this.stateSpecs.load();
    this.backlog = (await this.store.stats()).messages;
    this.committer = new Committer(
      this.store,
      ownership ? () => ownership.fence : () => this.fence!,
      this.limits.maxCommitBatch,
      this.clock,
      this.metrics,
      (batch) => this.committed(batch),
      (error) => this.fatal(error),
      // A shared store commits over the network, a threaded one on its thread: invocations overlap the commit in flight.
      ownership !== undefined || this.store.commitsOffThread === true,
    );
    this.parking = this.createParking();
    await this.parking.start();
    const owned = ownership ? () => ownership.owned : () => this.owned;
    const owns = ownership ? (kg: number) => ownership.owns(kg) : undefined;
    const fire = (m: StoredMessage) => {
      this.metrics.count("timers_fired");
      this.dispatcher.deliver(m);
    };
    // Cluster mode: a delayed message may have been cancelled on another worker; check before firing.
    const checked = owns
      ? cancelChecked(
          this.store,
          fire,
          (m) => this.timers === timers && (this.state === "running" || this.state === "starting") && owns(m.keyGroup),
          (m) => timers.consumed(m.seq),
          this.clock,
          this.logger,
        )
      : fire;
    const timers: Timers = new Timers(this.store, owned, this.clock, checked, undefined, undefined, owns);
    this.timers = timers;
    this.dispatcher = new Dispatcher({
      store: this.store,
      registry: this.registry,
      committer: this.committer,
      clock: this.clock,
      logger: this.logger,
      metrics: this.metrics,
      keyGroups: this.keyGroups,
      maxInFlight: this.limits.maxInFlightInvocations,
      maxCachedAddresses: this.limits.maxCachedAddresses,
      cancel: (token) => {
        this.timers.cancel(token);
        this.committer.cancelQueued(token);
      },
      released: () => {
        if (this.inbox.backlogInStore) this.inbox.pump();
      },
      parking: this.parking,
      active: owns,
    });
    const inboxArgs = [
      this.limits.maxBufferedMessages,
      () => this.dispatcher.buffered,
      (m: StoredMessage) => this.dispatcher.deliver(m),
      (error: unknown) => this.fatal(error),
    ] as const;
    this.inbox = owns ? new ClusterInbox(this.store, owned, owns, ...inboxArgs) : new Inbox(this.store, owned, ...inboxArgs);
    this.sweeper = new Sweeper(
      {
        store: this.store,
        clock: this.clock,
        metrics: this.metrics,
        logger: this.logger,
        owned,
        commit: (u) => this.committer.enqueue(u),
        release: (address) => this.dispatcher.release(address),
      },
      { ...DEFAULT_SWEEP, ...this.options.sweep },
    );
    this.inbox.pump();
    await this.timers.start();
    if (ownership) {
      this.watchStore?.();
      // Joins: the first heartbeat claims this worker's share of what is free.
      await ownership.start();
    }
    this.sweeper.start();
    this.schedulePurge();
    this.scheduleParkSweep();
    this.state = "running";
    this.logger.info({ keyGroups: this.keyGroups, backlog: this.backlog, functions: this.registry.functionTypes() }, "runtime started");
  }

  /** Stops taking work, lets running invocations finish, commits, and closes the store. */
  async stop(): Promise<void> {
    if (this.state === "stopped" || this.state === "new") {
      this.state = "stopped";
      return;
    }
    const failed = this.state === "failed";
    this.state = "stopping";
    this.purgeTimer?.cancel();
    this.parkSweep?.cancel();
    this.parking?.stop();
    this.unwatch?.();
    await this.ownership?.stop();
    this.timers.stop();
    await this.sweeper?.stop();
    await this.dispatcher.stop();
    if (!failed) await this.committer.flush();
    if (!failed) await this.ownership?.leave().catch((error) => this.logger.warn({ error: String(error) }, "leaving the cluster failed"));
    this.waiters.clear();
    await this.store.close();
    this.state = "stopped";
  }

  /** The key groups this worker runs now (all of them for a single owner). */
  ownedKeyGroups(): readonly number[] {
    return this.ownership?.owned ?? this.owned;
  }

  /**
   * The cluster as this worker last saw it: live members, every key group's lease (owner, epoch),
   * and when the last heartbeat answered. A single owner reports itself and its own leases.
   */
  clusterView(): ClusterSnapshot {
    const last = this.ownership?.lastView;
    if (this.ownership === undefined || last === undefined) {
      const leases = new Map([...(this.fence?.epochs ?? [])].map(([kg, epoch]) => [kg, { owner: this.owner, epoch }]));
      return { members: [this.owner], leases, heartbeatAt: undefined, heartbeatMs: undefined, leaseMs: undefined };
    }
    return {
      members: last.view.members,
      leases: last.view.leases,
      heartbeatAt: last.at,
      heartbeatMs: this.ownership.heartbeatMs,
      leaseMs: this.ownership.leaseMs,
    };
  }

  /** This worker's name in leases and cluster membership. */
  get workerName(): string {
    return this.owner;
  }

  /** True once started in cluster mode (a shared store, or `cluster` options): key groups are shared with other workers. */
  get clustered(): boolean {
    return this.ownership !== undefined;
  }

  functionTypes(): string[] {
    return this.registry.functionTypes();
  }

  function(typename: string): StatefulFunction | undefined {
    return this.registry.function(typename);
  }

  /**
   * Binds a function type, or a namespace (`ns/*`), to an invoker (a remote endpoint, say),
   * replacing its binding if it has one. Parked messages of the types it covers are delivered.
   */
  bind(binding: Binding): void {
    this.registry.bind(binding);
    this.parking?.bound(binding.typename);
  }

  egresses(): EgressRef<any>[] {
    return this.registry.egresses();
  }

  ingresses(): HttpIngress<any>[] {
    return this.registry.ingresses();
  }

  /**
   * Accepts a message from an ingress. Resolves once it is durably committed. Rejects with a
   * `StatefunError`: `STATEFUN_OVERLOADED` (try later), `STATEFUN_BAD_MESSAGE` (an embedded
   * function that does not accept this type), `STATEFUN_CLOSED`.
   */
  async ingest(request: IngestRequest): Promise<IngestReceipt> {
    if (this.state !== "running") throw new StatefunError("STATEFUN_CLOSED", `the runtime is ${this.state}`, { terminal: false });
    const target = checkAddress(request.target, "ingress");
    const accepts = this.registry.binding(functionTypeOf(target))?.accepts;
    if (accepts && !accepts.has(request.argument.typename)) {
      throw new StatefunError(
        "STATEFUN_BAD_MESSAGE",
        `${functionTypeOf(target)} does not accept messages of type ${request.argument.typename} (it accepts ${[...accepts].join(", ")})`,
      );
    }
    if (this.pendingIngress >= this.limits.maxPendingIngress || this.backlog + this.pendingIngress >= this.limits.maxBacklog) {
      throw new StatefunError(
        "STATEFUN_OVERLOADED",
        `overloaded: ${this.backlog} messages waiting, ${this.pendingIngress} requests committing`,
        {
          terminal: false,
        },
      );
    }
    const requestId = randomUUID();
    const idempotency = storedIdempotency(target, request.argument, request.idempotencyKey);
    const waiter = request.awaitReply ? this.waiters.register(requestId) : undefined;
    const caller: Address | undefined = request.awaitReply
      ? { namespace: INGRESS_CALLER_NAMESPACE, type: INGRESS_CALLER_TYPE, id: requestId }
      : undefined;
    this.pendingIngress++;
    let duplicateOf: string | undefined;
    try {
      duplicateOf = await new Promise<string | undefined>((resolve, reject) => {
        this.committer.enqueue(
          unit({
            ingress: {
              message: { seq: 0, keyGroup: keyGroupOf(target.id, this.keyGroups), target, caller, argument: request.argument },
              requestId,
              idempotencyKey: idempotency?.key,
              fingerprint: idempotency?.fingerprint,
            },
            committed: (_, duplicate) => resolve(duplicate),
            failed: reject,
          }),
        );
      });
    } catch (error) {
      waiter?.cancel();
      throw retryable(error);
    } finally {
      this.pendingIngress--;
    }
    if (duplicateOf !== undefined) {
      waiter?.cancel();
      await checkSameRequest(this.store, idempotency!, { target, key: request.idempotencyKey!, duplicateOf });
    }
    this.metrics.count(duplicateOf === undefined ? "ingress_messages" : "ingress_duplicates", 1, functionTypeOf(target));
    if (duplicateOf === undefined) return { requestId, duplicate: false, reply: waiter?.wait };
    if (!request.awaitReply) return { requestId: duplicateOf, duplicate: true };
    // A retry of an awaited request: answer with the first request's reply, committed or to come.
    const again = this.waiters.register(duplicateOf);
    const committed = await this.store.getReply(duplicateOf);
    if (committed) again.cancel();
    return {
      requestId: duplicateOf,
      duplicate: true,
      reply: committed ? async () => committed.argument : again.wait,
    };
  }

  /** The seam for ingress sources that commit their read positions with their messages (Kafka): see `sources.ts`. */
  sources(): SourceSink {
    return sourceSink({
      store: this.store,
      keyGroups: () => this.keyGroups,
      enqueue: (u) => this.committer.enqueue(u),
      running: () => this.state === "running",
      overloaded: () => this.backlog >= this.limits.maxBacklog || this.committer.pending >= this.limits.maxPendingIngress,
      now: () => this.clock.now(),
    });
  }

  /** A committed reply to an ingress request. */
  async getReply(requestId: string): Promise<TypedValue | undefined> {
    return (await this.store.getReply(requestId))?.argument;
  }

  /** Every (unexpired) state value of an instance, as committed; none once the instance expired (instance TTL). */
  async readState(address: Address): Promise<StateView[]> {
    const now = this.clock.now();
    const entries = await this.store.loadState(checkAddress(address, "state"));
    return visibleState(entries, now).map((e) => ({
      name: e.name,
      typename: e.value.typename,
      value: e.value.value,
      expiresAt: e.expiresAt,
    }));
  }

  /** Deletes expired state now, in bounded steps, until none is left; resolves with the rows deleted. */
  sweepExpired(): Promise<number> {
    if (this.sweeper === undefined) throw new StatefunError("STATEFUN_CLOSED", `the runtime is ${this.state}`, { terminal: false });
    return this.sweeper.sweepNow();
  }

  /** Takes the oldest record of a topic not being delivered now. */
  takeEgress(topic: string): Promise<EgressDelivery | undefined> {
    return this.outbox.take(topic);
  }

  /** Claims the oldest unclaimed record of a topic for `visibilityMs`: see `EgressClaimed`. */
  claimEgress(topic: string, visibilityMs: number): Promise<EgressClaimed | undefined> {
    return this.outbox.claim(topic, visibilityMs);
  }

  /** Deletes a claimed record if `receipt` is its last claim's; false when not (acknowledged already, or claimed again since). */
  ackEgress(id: number, receipt: string): Promise<boolean> {
    return this.outbox.ack(id, receipt);
  }

  deadLetters(limit: number, afterId?: number): Promise<DeadLetter[]> {
    return this.store.listDeadLetters(limit, afterId);
  }

  /** Puts a dead-lettered message back into its target's inbox. False when there is no such dead letter. */
  async replayDeadLetter(id: number): Promise<boolean> {
    const letter = await this.store.getDeadLetter(id);
    if (letter === undefined) return false;
    const { seq: _seq, ...message } = letter.message;
    await new Promise<void>((resolve, reject) => {
      this.committer.enqueue(
        unit({ messages: [{ ...message, seq: 0, dueAt: undefined }], replayed: [id], committed: () => resolve(), failed: reject }),
      );
    });
    return true;
  }

  /** Deletes dead letters for good, in one commit; answers how many of `ids` existed. */
  async discardDeadLetters(ids: readonly number[]): Promise<number> {
    const existing: number[] = [];
    for (const id of new Set(ids)) if ((await this.store.getDeadLetter(id)) !== undefined) existing.push(id);
    if (existing.length === 0) return 0;
    await new Promise<void>((resolve, reject) => {
      this.committer.enqueue(unit({ replayed: existing, committed: () => resolve(), failed: reject }));
    });
    return existing.length;
  }

  /**
   * Sets one state value of an instance, or deletes it (`value: null`), in the instance's order:
   * the edit is committed to its inbox and applied between two invocations, through the commit
   * pipeline, as an invocation's write would be (see `engine/state-edit.ts`). Resolves true once
   * the write is committed; false when that took longer than `timeoutMs` (the edit is still
   * applied later, e.g. once a function type with no binding is loaded).
   */
  async editState(address: Address, edit: StateEdit, timeoutMs = 30_000): Promise<boolean> {
    if (this.state !== "running") throw new StatefunError("STATEFUN_CLOSED", `the runtime is ${this.state}`, { terminal: false });
    const target = checkAddress(address, "state");
    const requestId = randomUUID();
    const waiter = this.waiters.register(requestId);
    const caller: Address = { namespace: INGRESS_CALLER_NAMESPACE, type: INGRESS_CALLER_TYPE, id: requestId };
    const message = { seq: 0, keyGroup: keyGroupOf(target.id, this.keyGroups), target, caller, argument: encodeStateEdit(edit) };
    try {
      await new Promise<void>((resolve, reject) => {
        this.committer.enqueue(unit({ messages: [message], committed: () => resolve(), failed: reject }));
      });
    } catch (error) {
      waiter.cancel();
      throw retryable(error);
    }
    return (await waiter.wait(timeoutMs)) !== undefined;
  }

  /** Per function type with addresses in memory: messages queued, addresses busy or retrying. */
  functionGauges(): Map<string, FunctionGauge> {
    return this.state === "running" ? this.dispatcher.functionGauges() : new Map();
  }

  gauges(): GaugeSnapshot {
    const running = this.state === "running" || this.state === "stopping";
    return {
      bufferedMessages: running ? this.dispatcher.buffered : 0,
      inFlightInvocations: running ? this.dispatcher.running : 0,
      pendingCommits: running ? this.committer.pending : 0,
      cachedAddresses: running ? this.dispatcher.cachedAddresses : 0,
      parkedMessages: running ? (this.parking?.total ?? 0) : 0,
    };
  }

  storeStats(): Promise<{ messages: number; timers: number; egress: number; deadLetters: number }> {
    return this.store.stats();
  }

  /** After each commit, in commit order: hand the new messages on, wake waiting callers. */
  private committed(batch: CommittedBatch): void {
    this.timers.cancelsCommitted(batch.cancelTokens);
    const immediate: StoredMessage[] = [];
    for (let i = 0; i < batch.units.length; i++) {
      const u = batch.units[i]!;
      if (u.mailbox) u.mailbox.pendingCommits--;
      for (const seq of u.consumed) {
        if (this.timers.consumed(seq)) continue;
        this.backlog--;
        if (this.ownership) (this.inbox as ClusterInbox).consumed(seq);
      }
      for (const m of batch.stored[i]!) {
        if (m.dueAt === undefined) immediate.push(m);
        else this.timers.offer(m);
      }
      for (const r of u.replies) this.waiters.resolve(r.requestId, r.argument);
    }
    // In a cluster, messages for key groups of other workers are consumed (and counted) there.
    const ownership = this.ownership;
    this.backlog += ownership ? immediate.filter((m) => ownership.owns(m.keyGroup)).length : immediate.length;
    if (this.backlog < 0) this.backlog = 0;
    this.inbox.committed(immediate, batch.maxSeq);
  }

  private fatal(error: unknown): void {
    // Errors of an engine being replaced (a commit under way when it was fenced) change nothing.
    if (this.state === "failed" || this.rejoining) return;
    if (this.ownership && this.state === "running" && StatefunError.is(error) && error.code === "STATEFUN_FENCED") {
      void this.rejoin(error);
      return;
    }
    this.state = "failed";
    this.unwatch?.();
    void this.ownership?.halt();
    this.timers.stop();
    void this.sweeper?.stop();
    void this.dispatcher.stop();
    this.logger.error({ error: String(error) }, "runtime failed: a commit did not go through; restart to recover from the store");
    this.options.onFatal?.(error);
  }

  private createParking(): Parking {
    return new Parking({
      store: this.store,
      clock: this.clock,
      logger: this.logger,
      owned: () => this.ownedKeyGroups(),
      handedOver: () => (this.inbox instanceof Inbox ? this.inbox.handedOver : Number.MAX_SAFE_INTEGER),
      redeliver: this.ownership ? (type) => (this.inbox as ClusterInbox).redeliver(type) : undefined,
      bound: (type) => this.registry.binding(type) !== undefined,
      quiet: (type) => this.dispatcher.quiet(type),
      buffered: () => this.dispatcher.buffered,
      maxBuffered: this.limits.maxBufferedMessages,
      deliver: (m) => this.dispatcher.deliver(m, true),
      deadLetter: (messages, reason) => this.parkedToDeadLetters(messages, reason),
      timeoutMs: this.options.parkTimeoutMs ?? DEFAULT_PARK_TIMEOUT_MS,
    });
  }

  private parkedToDeadLetters(messages: readonly StoredMessage[], reason: string): Promise<void> {
    const now = this.clock.now();
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

  private scheduleParkSweep(): void {
    const every = Math.max(50, Math.min(60_000, Math.floor((this.options.parkTimeoutMs ?? DEFAULT_PARK_TIMEOUT_MS) / 4)));
    this.parkSweep = this.clock.setTimeout(() => {
      this.parking?.sweep();
      if (this.state === "running") this.scheduleParkSweep();
    }, every);
  }

  /**
   * Cluster mode, fenced (another worker took key groups this one held, e.g. after it was frozen):
   * its memory may be ahead of the store, so drop all of it (mailboxes, state, timers, queued
   * commits, whose ingress callers get a retryable error) and join again, re-reading from the store
   * whatever it is assigned now. Nothing of the old engine is ever committed.
   */
  private async rejoin(error: unknown): Promise<void> {
    this.state = "starting";
    this.rejoining = true;
    this.logger.warn({ error: String(error) }, "fenced: dropping the engine's memory and joining the cluster again");
    this.unwatch?.();
    this.purgeTimer?.cancel();
    this.parkSweep?.cancel();
    this.parking?.stop();
    void this.sweeper?.stop();
    this.timers.stop();
    (this.inbox as ClusterInbox).close();
    void this.dispatcher.stop();
    this.committer.close(error);
    await this.committer.flush();
    await this.ownership?.halt();
    this.state = "new";
    try {
      await this.start();
      this.rejoining = false;
    } catch (failure) {
      this.rejoining = false;
      this.fatal(failure);
    }
  }

  private joinCluster(options: ClusterOptions): Ownership {
    // Bound once, to this engine's parts: the hooks of an engine replaced by a re-join act on its own parts only.
    let bound: ClusterParts | undefined;
    const parts = (): ClusterParts =>
      (bound ??= {
        owner: this.owner,
        store: this.store,
        clock: this.clock,
        logger: this.logger,
        committer: this.committer,
        dispatcher: this.dispatcher,
        inbox: this.inbox as ClusterInbox,
        timers: this.timers,
        waiters: this.waiters,
        owns: (kg: number) => ownership.owns(kg),
        fatal: (error: unknown) => this.fatal(error),
        resyncBacklog: () => {
          this.store.stats().then(
            (stats) => {
              this.backlog = stats.messages;
            },
            () => {},
          );
        },
      });
    const ownership = new Ownership(this.store, this.owner, this.keyGroups, this.clock, options, clusterHooks(parts), this.logger);
    this.ownership = ownership;
    this.outbox = new EgressOutbox(this.store, this.owner);
    this.watchStore = () => {
      this.unwatch = this.store.watch?.(onStoreChange(parts));
    };
    return ownership;
  }

  private schedulePurge(): void {
    this.purgeTimer = this.clock.setTimeout(() => {
      void this.store
        .purge(this.clock.now() - this.limits.replyRetentionMs, 10_000)
        .catch((error) => this.logger.warn({ error: String(error) }, "purging old replies failed"))
        .finally(() => {
          if (this.state === "running") this.schedulePurge();
        });
    }, 60_000);
  }
}

/** A commit refused because another worker took over stored nothing: the client may retry (with its idempotency key). */
function retryable(error: unknown): unknown {
  if (!StatefunError.is(error) || error.code !== "STATEFUN_FENCED") return error;
  return new StatefunError("STATEFUN_CLOSED", `not stored, retry: ${error.message}`, { cause: error, terminal: false });
}
