import { randomUUID } from "node:crypto";
import { type Address, checkAddress, functionTypeOf, keyGroupOf, StatefunError, type TypedValue } from "@statefun-ts/protocol";
import type { EgressRef, HttpIngress, StatefulFunction, StatefunModule } from "@statefun-ts/sdk";
import {
  type EgressDelivery,
  INGRESS_CALLER_NAMESPACE,
  INGRESS_CALLER_TYPE,
  type IngestReceipt,
  type IngestRequest,
  type StateView,
} from "./api.js";
import type { Binding } from "./binding.js";
import { type Clock, systemClock } from "./clock.js";
import { unit } from "./engine/commit-unit.js";
import { type CommittedBatch, Committer } from "./engine/committer.js";
import { Dispatcher } from "./engine/dispatcher.js";
import { EgressOutbox } from "./engine/egress.js";
import { Inbox } from "./engine/inbox.js";
import { visibleState } from "./engine/instance-ttl.js";
import { ReplyWaiters } from "./engine/replies.js";
import { DEFAULT_SWEEP, Sweeper, type SweepOptions } from "./engine/sweeper.js";
import { Timers } from "./engine/timers.js";
import { type GaugeSnapshot, type Logger, type MetricsSink, noMetrics, silentLogger } from "./observe.js";
import { Registry } from "./registry.js";
import { StateSpecRegistry } from "./state-specs.js";
import type { DeadLetter, Fence, Store, StoredMessage } from "./store/types.js";

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
  /** Called when the runtime cannot go on (a commit failed, or its leases were taken): the process should exit and restart. */
  readonly onFatal?: (error: unknown) => void;
}

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
  private readonly outbox: EgressOutbox;
  private keyGroups = 0;
  private owned: number[] = [];
  private fence: Fence | undefined;
  private committer!: Committer;
  private dispatcher!: Dispatcher;
  private inbox!: Inbox;
  private timers!: Timers;
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

  /** Loads the functions, ingresses and egresses of a module (before or after `start`). */
  load(module: StatefunModule): void {
    this.registry.load(module);
  }

  /** True once recovery is done and the runtime processes messages. */
  get ready(): boolean {
    return this.state === "running";
  }

  /** Recovers from the store and starts processing. */
  async start(): Promise<void> {
    if (this.state !== "new") throw new StatefunError("STATEFUN_CLOSED", `runtime cannot start: it is ${this.state}`);
    this.state = "starting";
    const info = await this.store.open();
    this.keyGroups = info.keyGroups;
    this.owned = Array.from({ length: info.keyGroups }, (_, i) => i);
    const epochs = await this.store.acquire(this.owner, this.owned);
    this.fence = { owner: this.owner, epochs };
    await this.stateSpecs.load();
    this.backlog = (await this.store.stats()).messages;
    this.committer = new Committer(
      this.store,
      () => this.fence!,
      this.limits.maxCommitBatch,
      this.clock,
      this.metrics,
      (batch) => this.committed(batch),
      (error) => this.fatal(error),
    );
    this.timers = new Timers(
      this.store,
      () => this.owned,
      this.clock,
      (m) => {
        this.metrics.count("timers_fired");
        this.dispatcher.deliver(m);
      },
    );
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
    });
    this.inbox = new Inbox(
      this.store,
      () => this.owned,
      this.limits.maxBufferedMessages,
      () => this.dispatcher.buffered,
      (m) => this.dispatcher.deliver(m),
      (error) => this.fatal(error),
    );
    this.sweeper = new Sweeper(
      {
        store: this.store,
        clock: this.clock,
        metrics: this.metrics,
        logger: this.logger,
        owned: () => this.owned,
        commit: (u) => this.committer.enqueue(u),
        release: (address) => this.dispatcher.release(address),
      },
      { ...DEFAULT_SWEEP, ...this.options.sweep },
    );
    this.inbox.pump();
    await this.timers.start();
    this.sweeper.start();
    this.schedulePurge();
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
    this.timers.stop();
    await this.sweeper?.stop();
    await this.dispatcher.stop();
    if (!failed) await this.committer.flush();
    this.waiters.clear();
    await this.store.close();
    this.state = "stopped";
  }

  functionTypes(): string[] {
    return this.registry.functionTypes();
  }

  function(typename: string): StatefulFunction | undefined {
    return this.registry.function(typename);
  }

  /** Binds a function type, or a namespace (`ns/*`), to an invoker (a remote endpoint, say). */
  bind(binding: Binding): void {
    this.registry.bind(binding);
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
              idempotencyKey: request.idempotencyKey,
            },
            committed: (_, duplicate) => resolve(duplicate),
            failed: reject,
          }),
        );
      });
    } catch (error) {
      waiter?.cancel();
      throw error;
    } finally {
      this.pendingIngress--;
    }
    this.metrics.count(duplicateOf === undefined ? "ingress_messages" : "ingress_duplicates");
    if (duplicateOf === undefined) return { requestId, duplicate: false, reply: waiter?.wait };
    waiter?.cancel();
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

  gauges(): GaugeSnapshot {
    const running = this.state === "running" || this.state === "stopping";
    return {
      bufferedMessages: running ? this.dispatcher.buffered : 0,
      inFlightInvocations: running ? this.dispatcher.running : 0,
      pendingCommits: running ? this.committer.pending : 0,
      cachedAddresses: running ? this.dispatcher.cachedAddresses : 0,
      parkedMessages: running ? this.dispatcher.parked : 0,
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
      for (const seq of u.consumed) if (!this.timers.consumed(seq)) this.backlog--;
      for (const m of batch.stored[i]!) {
        if (m.dueAt === undefined) immediate.push(m);
        else this.timers.offer(m);
      }
      for (const r of u.replies) this.waiters.resolve(r.requestId, r.argument);
    }
    this.backlog += immediate.length;
    if (this.backlog < 0) this.backlog = 0;
    this.inbox.committed(immediate, batch.maxSeq);
  }

  private fatal(error: unknown): void {
    if (this.state === "failed") return;
    this.state = "failed";
    this.timers.stop();
    void this.sweeper?.stop();
    void this.dispatcher.stop();
    this.logger.error({ error: String(error) }, "runtime failed: a commit did not go through; restart to recover from the store");
    this.options.onFatal?.(error);
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
