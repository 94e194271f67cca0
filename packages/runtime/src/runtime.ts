import { type Address, checkAddress, StatefunError, type TypedValue } from "@statefun-ts/protocol";
import type { EgressRef, HttpIngress, StatefulFunction, StatefunModule } from "@statefun-ts/sdk";
import type { EgressDelivery, IngestReceipt, IngestRequest, StateView } from "./api.js";
import type { Binding } from "./binding.js";
import { Engine } from "./engine/engine.js";
import { stateViews } from "./engine/instance-ttl.js";
import type { RuntimeOptions } from "./engine/options.js";
import type { OwnershipMode } from "./engine/ownership.js";
import { ownershipMode, type RuntimeParts, runtimeParts } from "./engine/setup.js";
import type { GaugeSnapshot } from "./observe.js";
import type { StateSpecRegistry } from "./state-specs.js";
import type { DeadLetter, StoreInfo } from "./store/types.js";

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
  private readonly parts: RuntimeParts;
  /** States registered by remote functions, durable. */
  readonly stateSpecs: StateSpecRegistry;
  /** How key groups are held, chosen when the runtime first starts. */
  private mode: OwnershipMode | undefined;
  private engine: Engine | undefined;
  private info: StoreInfo | undefined;
  private rejoining = false;
  private state: "new" | "starting" | "running" | "stopping" | "stopped" | "failed" = "new";

  constructor(private readonly options: RuntimeOptions) {
    this.parts = runtimeParts(options);
    this.stateSpecs = this.parts.stateSpecs;
    for (const module of options.modules ?? []) this.load(module);
  }

  /**
   * Loads the functions, ingresses and egresses of a module (before or after `start`). A
   * function type loaded again is replaced: invocations in flight finish on the old code,
   * later messages run the new one. Parked messages of its types are delivered.
   */
  load(module: StatefunModule): void {
    this.parts.registry.load(module);
    for (const fn of module.functions) this.engine?.parking.bound(fn.typename);
  }

  /** Throws `STATEFUN_BAD_MODULE`, changing nothing, when `load(module)` would fail. */
  checkLoad(module: StatefunModule): void {
    this.parts.registry.check(module);
  }

  /** Removes what a module loaded (functions, ingresses, egresses) and that no later load replaced; new messages to its types park. */
  unload(module: StatefunModule): void {
    this.parts.registry.unload(module);
  }

  /** Removes the binding of a type or namespace (`ns/*`): its new messages park. True when there was one. */
  unbind(typename: string): boolean {
    return this.parts.registry.unbind(typename);
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
      (await this.parts.store.open().catch((error: unknown) => {
        this.state = "new";
        throw error;
      }));
    this.info = info;
    this.mode ??= ownershipMode(this.parts, this.options, info);
    const context = { ...this.parts, keyGroups: info.keyGroups, fatal: (from: Engine, error: unknown) => this.fatal(from, error) };
    const engine = await Engine.create(context, this.mode.begin());
    this.engine = engine;
    await engine.start();
    this.state = "running";
    this.parts.logger.info({ keyGroups: info.keyGroups, functions: this.parts.registry.functionTypes() }, "runtime started");
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
    this.parts.waiters.clear();
    await this.parts.store.close();
    this.state = "stopped";
  }

  /** The key groups this worker runs now (all of them for a single owner). */
  ownedKeyGroups(): readonly number[] {
    return this.engine?.owned ?? [];
  }

  /** This worker's name in leases and cluster membership. */
  get workerName(): string {
    return this.parts.owner;
  }

  /** True once started in cluster mode (a shared store, or `cluster` options): key groups are shared with other workers. */
  get clustered(): boolean {
    return this.mode?.clustered ?? false;
  }

  functionTypes(): string[] {
    return this.parts.registry.functionTypes();
  }

  function(typename: string): StatefulFunction | undefined {
    return this.parts.registry.function(typename);
  }

  /**
   * Binds a function type, or a namespace (`ns/*`), to an invoker (a remote endpoint, say),
   * replacing its binding if it has one. Parked messages of the types it covers are delivered.
   */
  bind(binding: Binding): void {
    this.parts.registry.bind(binding);
    this.engine?.parking.bound(binding.typename);
  }

  egresses(): EgressRef<any>[] {
    return this.parts.registry.egresses();
  }

  ingresses(): HttpIngress<any>[] {
    return this.parts.registry.ingresses();
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
    return (await this.parts.store.getReply(requestId))?.argument;
  }

  /** Every (unexpired) state value of an instance, as committed; none once the instance expired (instance TTL). */
  async readState(address: Address): Promise<StateView[]> {
    const now = this.parts.clock.now();
    return stateViews(await this.parts.store.loadState(checkAddress(address, "state")), now);
  }

  /** Deletes expired state now, in bounded steps, until none is left; resolves with the rows deleted. */
  sweepExpired(): Promise<number> {
    return this.started().sweeper.sweepNow();
  }

  /** Takes the oldest record of a topic not being delivered now. */
  takeEgress(topic: string): Promise<EgressDelivery | undefined> {
    return (this.mode?.outbox ?? this.parts.localOutbox).take(topic);
  }

  deadLetters(limit: number, afterId?: number): Promise<DeadLetter[]> {
    return this.parts.store.listDeadLetters(limit, afterId);
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
    return this.parts.store.stats();
  }

  /** The engine, once the runtime started. */
  private started(): Engine {
    if (this.engine === undefined) throw new StatefunError("STATEFUN_CLOSED", `the runtime is ${this.state}`, { terminal: false });
    return this.engine;
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
    this.parts.logger.error({ error: String(error) }, "runtime failed: a commit did not go through; restart to recover from the store");
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
    this.parts.logger.warn({ error: String(error) }, "fenced: dropping the engine's memory and joining the cluster again");
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
