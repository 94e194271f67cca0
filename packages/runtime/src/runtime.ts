import { randomUUID } from "node:crypto";
import { type Address, checkAddress, StatefunError, type TypedValue } from "@statefun-ts/protocol";
import type { EgressRef, HttpIngress, StatefulFunction, StatefunModule } from "@statefun-ts/sdk";
import type { EgressDelivery, IngestReceipt, IngestRequest, StateView } from "./api.js";
import type { Binding } from "./binding.js";
import { type Clock, systemClock } from "./clock.js";
import { clusterMember } from "./engine/cluster-member.js";
import type { EngineContext } from "./engine/context.js";
import { LocalOutbox } from "./engine/egress.js";
import { Engine } from "./engine/engine.js";
import { visibleState } from "./engine/instance-ttl.js";
import { DEFAULT_LIMITS, DEFAULT_PARK_TIMEOUT_MS, type RuntimeOptions } from "./engine/options.js";
import type { OwnershipMode } from "./engine/ownership.js";
import { ReplyWaiters } from "./engine/replies.js";
import { singleOwner } from "./engine/single-owner.js";
import { DEFAULT_SWEEP } from "./engine/sweeper.js";
import { type GaugeSnapshot, type Logger, noMetrics, silentLogger } from "./observe.js";
import { Registry } from "./registry.js";
import { StateSpecRegistry } from "./state-specs.js";
import type { DeadLetter, Store, StoreInfo } from "./store/types.js";

export type { Limits, RuntimeOptions } from "./engine/options.js";

const NO_GAUGES: GaugeSnapshot = { bufferedMessages: 0, inFlightInvocations: 0, pendingCommits: 0, cachedAddresses: 0, parkedMessages: 0 };

/**
 * A worker of Statefun TS: loads modules, accepts ingress, and runs one `Engine` at a time (see
 * ARCHITECTURE.md), which owns key groups, dispatches messages to per-address mailboxes, runs
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
  private readonly owner: string;
  private readonly registry = new Registry();
  /** States registered by remote functions, durable. */
  readonly stateSpecs: StateSpecRegistry;
  private readonly waiters = new ReplyWaiters();
  /** The egress outbox of a single owner (and of a runtime not started yet). */
  private readonly localOutbox: LocalOutbox;
  /** How key groups are held, chosen when the runtime first starts. */
  private mode: OwnershipMode | undefined;
  private engine: Engine | undefined;
  private info: StoreInfo | undefined;
  private rejoining = false;
  private state: "new" | "starting" | "running" | "stopping" | "stopped" | "failed" = "new";

  constructor(private readonly options: RuntimeOptions) {
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.owner = options.owner ?? `worker-${randomUUID()}`;
    this.stateSpecs = new StateSpecRegistry(this.store);
    this.localOutbox = new LocalOutbox(this.store);
    for (const module of options.modules ?? []) this.load(module);
  }

  /**
   * Loads the functions, ingresses and egresses of a module (before or after `start`). A
   * function type loaded again is replaced: invocations in flight finish on the old code,
   * later messages run the new one. Parked messages of its types are delivered.
   */
  load(module: StatefunModule): void {
    this.registry.load(module);
    for (const fn of module.functions) this.engine?.parking.bound(fn.typename);
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
    return this.engine?.parking.byType() ?? new Map();
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
    this.mode ??= this.chooseMode(info);
    const engine = await Engine.create(this.context(info), this.mode.begin());
    this.engine = engine;
    await engine.start();
    this.state = "running";
    this.logger.info({ keyGroups: info.keyGroups, functions: this.registry.functionTypes() }, "runtime started");
  }

  /** Stops taking work, lets running invocations finish, commits, and closes the store. */
  async stop(): Promise<void> {
    if (this.state === "stopped" || this.state === "new") {
      this.state = "stopped";
      return;
    }
    const failed = this.state === "failed";
    this.state = "stopping";
    await this.engine?.stop(failed);
    this.waiters.clear();
    await this.store.close();
    this.state = "stopped";
  }

  /** The key groups this worker runs now (all of them for a single owner). */
  ownedKeyGroups(): readonly number[] {
    return this.engine?.owned ?? [];
  }

  /** This worker's name in leases and cluster membership. */
  get workerName(): string {
    return this.owner;
  }

  /** True once started in cluster mode (a shared store, or `cluster` options): key groups are shared with other workers. */
  get clustered(): boolean {
    return this.mode?.clustered ?? false;
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
    this.engine?.parking.bound(binding.typename);
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
  ingest(request: IngestRequest): Promise<IngestReceipt> {
    const engine = this.state === "running" ? this.engine : undefined;
    if (engine === undefined)
      return Promise.reject(new StatefunError("STATEFUN_CLOSED", `the runtime is ${this.state}`, { terminal: false }));
    return engine.admission.ingest(request);
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
    return this.started().sweeper.sweepNow();
  }

  /** Takes the oldest record of a topic not being delivered now. */
  takeEgress(topic: string): Promise<EgressDelivery | undefined> {
    return (this.mode?.outbox ?? this.localOutbox).take(topic);
  }

  deadLetters(limit: number, afterId?: number): Promise<DeadLetter[]> {
    return this.store.listDeadLetters(limit, afterId);
  }

  /** Puts a dead-lettered message back into its target's inbox. False when there is no such dead letter. */
  async replayDeadLetter(id: number): Promise<boolean> {
    return this.started().admission.replayDeadLetter(id);
  }

  gauges(): GaugeSnapshot {
    const running = this.state === "running" || this.state === "stopping";
    return running && this.engine ? this.engine.gauges() : NO_GAUGES;
  }

  storeStats(): Promise<{ messages: number; timers: number; egress: number; deadLetters: number }> {
    return this.store.stats();
  }

  /** The engine, once the runtime started. */
  private started(): Engine {
    if (this.engine === undefined) throw new StatefunError("STATEFUN_CLOSED", `the runtime is ${this.state}`, { terminal: false });
    return this.engine;
  }

  private chooseMode(info: StoreInfo): OwnershipMode {
    const cluster = this.options.cluster ?? info.shared ?? false;
    if (cluster === false)
      return singleOwner({ store: this.store, owner: this.owner, keyGroups: info.keyGroups, outbox: this.localOutbox });
    const options = { store: this.store, owner: this.owner, keyGroups: info.keyGroups, clock: this.clock, logger: this.logger };
    return clusterMember({ ...options, cluster: cluster === true ? {} : cluster });
  }

  private context(info: StoreInfo): EngineContext {
    const { options } = this;
    return {
      store: this.store,
      clock: this.clock,
      logger: this.logger,
      metrics: options.metrics ?? noMetrics,
      limits: { ...DEFAULT_LIMITS, ...options.limits },
      owner: this.owner,
      keyGroups: info.keyGroups,
      registry: this.registry,
      stateSpecs: this.stateSpecs,
      waiters: this.waiters,
      sweep: { ...DEFAULT_SWEEP, ...options.sweep },
      parkTimeoutMs: options.parkTimeoutMs ?? DEFAULT_PARK_TIMEOUT_MS,
      fatal: (engine, error) => this.fatal(engine, error),
    };
  }

  private fatal(engine: Engine, error: unknown): void {
    // Errors of an engine being replaced (a commit under way when it was fenced) change nothing.
    if (this.state === "failed" || this.rejoining || engine !== this.engine) return;
    if (this.clustered && this.state === "running" && StatefunError.is(error) && error.code === "STATEFUN_FENCED") {
      void this.rejoin(engine, error);
      return;
    }
    this.state = "failed";
    engine.fail();
    this.logger.error({ error: String(error) }, "runtime failed: a commit did not go through; restart to recover from the store");
    this.options.onFatal?.(error);
  }

  /**
   * Cluster mode, fenced (another worker took key groups this one held, e.g. after it was frozen):
   * throw the engine away whole and join again with a new one, re-reading from the store whatever
   * this worker is assigned now.
   */
  private async rejoin(engine: Engine, error: unknown): Promise<void> {
    this.state = "starting";
    this.rejoining = true;
    this.logger.warn({ error: String(error) }, "fenced: dropping the engine's memory and joining the cluster again");
    await engine.discard(error);
    this.state = "new";
    try {
      await this.start();
      this.rejoining = false;
    } catch (failure) {
      this.rejoining = false;
      this.fatal(this.engine ?? engine, failure);
    }
  }
}
