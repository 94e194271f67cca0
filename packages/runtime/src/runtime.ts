import { type Address, checkAddress, type TypedValue } from "@statefun-ts/protocol";
import type { EgressRef, HttpIngress, StatefulFunction, StatefunModule } from "@statefun-ts/sdk";
import type { EgressClaimed, EgressDelivery, IngestReceipt, IngestRequest, StateView } from "./api.js";
import type { Binding } from "./binding.js";
import type { Engine } from "./engine/engine.js";
import { stateViews } from "./engine/instance-ttl.js";
import { Lifecycle } from "./engine/lifecycle.js";
import type { RuntimeOptions } from "./engine/options.js";
import { type ClusterSnapshot, ownLeases } from "./engine/ownership.js";
import { type RuntimeParts, runtimeParts } from "./engine/setup.js";
import type { StateEdit } from "./engine/state-edit.js";
import type { FunctionGauge, GaugeSnapshot } from "./observe.js";
import type { RemoteStateSpecs } from "./remote-state-specs.js";
import { type SourceSink, sourceSink } from "./sources.js";
import type { DeadLetter, StoreStats } from "./store/types.js";

export type { Limits, RuntimeOptions } from "./engine/options.js";
export type { ClusterSnapshot } from "./engine/ownership.js";

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
  private readonly life: Lifecycle;
  /** States registered by remote functions, durable. */
  readonly stateSpecs: RemoteStateSpecs;

  constructor(options: RuntimeOptions) {
    this.parts = runtimeParts(options, (topic, count) => this.life.engine?.counts.egressDelivered(topic, count));
    this.life = new Lifecycle(this.parts, options);
    this.stateSpecs = this.parts.stateSpecs;
    for (const module of options.modules ?? []) this.load(module);
  }

  /**
   * Loads the functions, ingresses and egresses of a module (before or after `start`). A
   * function type loaded again is replaced: invocations in flight finish on the old code,
   * later messages run the new one. Parked messages of its types are delivered.
   */
  load(module: StatefunModule): void {
    this.parts.bindings.load(module);
    for (const fn of module.functions) this.life.engine?.parking.bound(fn.typename);
  }

  /** Throws `STATEFUN_BAD_MODULE`, changing nothing, when `load(module)` would fail. */
  checkLoad(module: StatefunModule): void {
    this.parts.bindings.check(module);
  }

  /** Removes what a module loaded (functions, ingresses, egresses) and that no later load replaced; new messages to its types park. */
  unload(module: StatefunModule): void {
    this.parts.bindings.unload(module);
  }

  /** Removes the binding of a type or namespace (`ns/*`): its new messages park. True when there was one. */
  unbind(typename: string): boolean {
    return this.parts.bindings.unbind(typename);
  }

  /** Parked messages (no binding for their type) by function type. */
  parkedByType(): Map<string, number> {
    return this.life.engine?.parking.byType() ?? new Map();
  }

  /** True once recovery is done and the runtime processes messages. */
  get ready(): boolean {
    return this.life.state === "running";
  }

  /** True while commits fail for lack of disk space: they are retried, and new messages are refused (`STATEFUN_DISK_FULL`). */
  get storeFull(): boolean {
    return this.life.engine?.committer.storeFull ?? false;
  }

  /** Recovers from the store and starts processing. */
  start(): Promise<void> {
    return this.life.start();
  }

  /**
   * Stops taking work, lets running invocations finish (for at most `drainMs`, default
   * `limits.stopDrainMs`: what is still running then runs again at the next start), commits, and
   * closes the store.
   */
  stop(options: { readonly drainMs?: number } = {}): Promise<void> {
    return this.life.stop(options.drainMs);
  }

  /** The key groups this worker runs now (all of them for a single owner). */
  ownedKeyGroups(): readonly number[] {
    return this.life.engine?.owned ?? [];
  }

  /**
   * The cluster as this worker last saw it: live members, every key group's lease (owner, epoch),
   * and when the last heartbeat answered. A single owner reports itself and its own leases.
   */
  clusterView(): ClusterSnapshot {
    return this.life.engine?.clusterView() ?? ownLeases({ owner: this.parts.owner, epochs: new Map() });
  }

  /** This worker's name in leases and cluster membership. */
  get workerName(): string {
    return this.parts.owner;
  }

  /** True once started in cluster mode (a shared store, or `cluster` options): key groups are shared with other workers. */
  get clustered(): boolean {
    return this.life.clustered;
  }

  functionTypes(): readonly string[] {
    return this.parts.bindings.functionTypes();
  }

  function(typename: string): StatefulFunction | undefined {
    return this.parts.bindings.function(typename);
  }

  /**
   * Binds a function type, or a namespace (`ns/*`), to an invoker (a remote endpoint, say),
   * replacing its binding if it has one. Parked messages of the types it covers are delivered.
   */
  bind(binding: Binding): void {
    this.parts.bindings.bind(binding);
    this.life.engine?.parking.bound(binding.typename);
  }

  egresses(): EgressRef<any>[] {
    return this.parts.bindings.egresses();
  }

  ingresses(): readonly HttpIngress<any>[] {
    return this.parts.bindings.ingresses();
  }

  /**
   * Accepts a message from an ingress. Resolves once it is durably committed. Rejects with a
   * `StatefunError`: `STATEFUN_OVERLOADED` (try later), `STATEFUN_BAD_MESSAGE` (an embedded
   * function that does not accept this type), `STATEFUN_CLOSED`.
   */
  ingest(request: IngestRequest): Promise<IngestReceipt> {
    // Not an async function: one that returned the admission's promise would cost every request
    // two more turns of the microtask queue (resolving a promise with a promise).
    let running: Engine;
    try {
      running = this.life.running();
    } catch (error) {
      return Promise.reject(error);
    }
    return running.admission.ingest(request);
  }

  /**
   * The seam for ingress sources that commit their read positions with their messages (Kafka):
   * see `sources.ts`. The sink outlives engines: each call goes to the engine running then.
   */
  sources(): SourceSink {
    const { store, clock } = this.parts;
    return sourceSink({
      keyGroups: () => this.life.started().keyGroups,
      positions: (source) => this.life.engine?.sourcePositions(source) ?? store.loadSourcePositions(source),
      enqueue: (u) => this.life.started().enqueueSource(u),
      running: () => this.life.state === "running",
      overloaded: () => this.life.engine?.sourcesOverloaded() ?? false,
      now: () => clock.now(),
    });
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
    return this.life.started().sweeper.sweepNow();
  }

  /** Takes the oldest record of a topic not being delivered now. */
  takeEgress(topic: string): Promise<EgressDelivery | undefined> {
    return this.parts.outbox.take(topic);
  }

  /** Claims the oldest unclaimed record of a topic for `visibilityMs`: see `EgressClaimed`. */
  claimEgress(topic: string, visibilityMs: number): Promise<EgressClaimed | undefined> {
    return this.parts.outbox.claim(topic, visibilityMs);
  }

  /** Deletes a claimed record of `topic` if `receipt` is its last claim's; false when not (acknowledged already, claimed again since, or of another topic). */
  ackEgress(topic: string, id: number, receipt: string): Promise<boolean> {
    return this.parts.outbox.ack(topic, id, receipt);
  }

  deadLetters(limit: number, afterId?: number): Promise<DeadLetter[]> {
    return this.parts.store.listDeadLetters(limit, afterId);
  }

  /** Puts a dead-lettered message back into its target's inbox. False when there is no such dead letter. */
  async replayDeadLetter(id: number): Promise<boolean> {
    return this.life.started().admission.replayDeadLetter(id);
  }

  /** Deletes dead letters for good, in one commit; answers how many of `ids` existed. */
  discardDeadLetters(ids: readonly number[]): Promise<number> {
    return this.life.started().admission.discardDeadLetters(ids);
  }

  /**
   * Sets one state value of an instance, or deletes it (`value: null`), in the instance's order:
   * the edit is committed to its inbox and applied between two invocations, through the commit
   * pipeline, as an invocation's write would be (see `engine/state-edit.ts`). Resolves true once
   * the write is applied; false when that took longer than `timeoutMs`, and at once (after its
   * commit) when its function type has no binding: the edit is still applied later, in order,
   * once the type is loaded.
   */
  async editState(address: Address, edit: StateEdit, timeoutMs = 30_000): Promise<boolean> {
    return this.life.running().admission.editState(address, edit, timeoutMs);
  }

  /** Per function type with addresses in memory: messages queued, addresses busy or retrying. */
  functionGauges(): Map<string, FunctionGauge> {
    return this.life.state === "running" ? this.life.started().functionGauges() : new Map();
  }

  gauges(): GaugeSnapshot {
    const { state, engine } = this.life;
    return (state === "running" || state === "stopping") && engine ? engine.gauges() : NO_GAUGES;
  }

  /** The store's counts, read from the store now (COUNT queries: `storeCounts` is the cheap read). */
  storeStats(): Promise<{ messages: number; timers: number; egress: number; deadLetters: number }> {
    return this.parts.store.stats();
  }

  /**
   * The store's counts kept in memory while the engine runs (undefined before its start): no
   * query. Read once at start, moved by every commit and egress delivery of this worker; in
   * cluster mode read again from the store every few heartbeats (see `engine/store-counts.ts`).
   */
  storeCounts(): StoreStats | undefined {
    return this.life.engine?.counts.read();
  }

  /**
   * Egress records waiting, by topic, kept in memory like `storeCounts` (`''`: those of egresses
   * with no topic, Kafka's); undefined before the engine starts.
   */
  egressByTopic(): ReadonlyMap<string, number> | undefined {
    return this.life.engine?.counts.egressByTopic();
  }

  /**
   * Deletes egress records of `topic` a connector delivered (Kafka's, topic `''`), keeping the
   * in-memory egress counts (`storeCounts`, `egressByTopic`) exact; each id must be one the caller
   * holds (claimed or ordered for it).
   */
  async deleteEgress(ids: readonly number[], topic: string): Promise<void> {
    if (ids.length === 0) return;
    await this.parts.store.deleteEgress(ids);
    this.life.engine?.counts.egressDelivered(topic, ids.length);
  }

  /**
   * Deletes the rows of Kafka egress `egress` (topic `''`) a deliverer read and delivered, `rows`
   * in `seq` order, every row of the egress from the first one's `seq` to the last one's (see
   * `EgressDelivery.deleteOrderedEgress`): one range delete where the store has it, by id otherwise.
   */
  async deleteDeliveredEgress(egress: string, rows: readonly { readonly id: number; readonly seq: number }[]): Promise<void> {
    if (rows.length === 0) return;
    const { store } = this.parts;
    if (store.deleteOrderedEgress === undefined)
      return this.deleteEgress(
        rows.map((r) => r.id),
        "",
      );
    const deleted = await store.deleteOrderedEgress(egress, rows[0]!.seq, rows.at(-1)!.seq);
    this.life.engine?.counts.egressDelivered("", deleted);
  }
}
