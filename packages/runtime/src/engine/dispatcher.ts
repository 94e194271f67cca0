import { type Address, type Effects, errorText, functionTypeOf, StatefunError, type TypedValue } from "@statefun-ts/protocol";
import type { Binding, InvokeRequest } from "../binding.js";
import type { Clock } from "../clock.js";
import { undeclaredEgress } from "../egress-declared.js";
import type { FunctionBindings } from "../function-bindings.js";
import type { FunctionGauge, Logger, MetricsSink } from "../observe.js";
import type { Parking } from "../parking.js";
import type { Store, StoredMessage } from "../store/types.js";
import { AddressMap } from "./address-map.js";
import { CacheBytes } from "./cache-bytes.js";
import { leastRecentlyUsed } from "./cache-eviction.js";
import { type CommitUnit, unit } from "./commit-unit.js";
import type { Committer } from "./committer.js";
import { Deque } from "./deque.js";
import type { EarlyIngress } from "./early-ingress.js";
import { effectsToUnit } from "./effects-unit.js";
import { functionGauges } from "./function-gauges.js";
import { startOver } from "./instance-ttl.js";
import { GateSlot, InvokerGates } from "./invoker-gates.js";
import { Mailbox } from "./mailbox.js";
import { beforeEdit, isStateEdit, stateEditEffects } from "./state-edit.js";

export interface DispatcherOptions {
  readonly store: Store;
  readonly bindings: FunctionBindings;
  readonly committer: Committer;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: MetricsSink;
  readonly keyGroups: number;
  readonly maxInFlight: number;
  /** Units waiting in the commit pipeline at most for an invocation to start (see `Limits.maxPendingCommits`). */
  readonly maxPendingCommits: number;
  readonly maxCachedAddresses: number;
  /** Estimated bytes of the cached addresses and their state at most (see `CacheBytes`). */
  readonly maxCacheBytes: number;
  /** Applies a cancellation in memory at once (timers and queued units). */
  readonly cancel: (token: string) => void;
  /** A buffered message left memory (consumed, parked or dead-lettered): room for more. */
  readonly released: () => void;
  /** Parked messages and types being recovered (see `Parking`). */
  readonly parking?: Pick<Parking, "parked" | "intercept" | "draining" | "recoveringType"> | undefined;
  /** Whether invocations may start in a key group (one being given up may not). */
  readonly active: (keyGroup: number) => boolean;
  /** Ingress messages handed over before their commit (a single owner's; see `EarlyIngress`). */
  readonly early?: EarlyIngress | undefined;
  /** Messages between functions handed on before their commit (a single owner's; see `Dispatcher`). */
  readonly chain?: Chaining | undefined;
}

/** When a message one invocation sends may go to its mailbox before its commit. */
export interface Chaining {
  /** False while a backlog waits in the store (it may hold messages to the same address). */
  readonly open: () => boolean;
  /** Messages in memory at most. */
  readonly maxBuffered: number;
}

/** Invocations one turn runs at most before it lets I/O and timers in (chained messages never wait for a commit). */
const TURN_INVOCATIONS = 4_096;
/**
 * Chained messages in a row whose target runs next, ahead of the ready queue: sender and receiver
 * then commit in one batch, where the message is neither inserted nor deleted. Past it the next
 * target waits its turn behind the others (every address gets its turn).
 */
const CHAIN_RUN = 16;

/**
 * Per-address mailboxes: one invocation at a time per address, many addresses at once
 * (bounded), a later invocation of an address running on its predecessor's state even
 * before that commits (commits are ordered, so a crash rolls both back).
 *
 * Chained delivery (`chain`, a single owner): the messages an invocation sends to functions of
 * this process go to their mailboxes as its unit is enqueued, not once it has committed. The
 * receiver's unit is enqueued after the sender's, so it commits in the same batch or a later
 * one, never alone (commits apply in order: a crash rolls both back); nothing leaves the process
 * before its commit either way. FIFO per pair: while a message to an address waits for its commit
 * (its type not bound, no room in memory, a backlog in the store), no later one
 * to that address is handed on before its commit (`Mailbox.awaiting`). A message to the sender's
 * own address waits for its commit too: that address is busy with the sending invocation, and
 * what such a message does to the sender's earlier effects (a cancellation of a delayed message
 * it sent) then reaches the store as the crash verifier checks it, not only memory.
 */
export class Dispatcher {
  private readonly mailboxes = new AddressMap<Mailbox>();
  private readonly ready = new Deque<Mailbox>();
  /** Mailboxes waiting for a slot of an invoker that bounds its invocations (they stay `ready`). */
  private readonly gates = new InvokerGates<Mailbox>();
  private inFlight = 0;
  private bufferedCount = 0;
  private stopping = false;
  /** Set when a stop stopped waiting for running invocations: their results are dropped. */
  private abandoned = false;
  private idle: (() => void)[] = [];
  private drainQueued = false;
  /** Cache size at which eviction is tried again after it could not free enough (0: at the cap). */
  private evictAt = 0;
  /** The same in bytes. */
  private evictAtBytes = 0;
  /** Estimated bytes of the cache. */
  private readonly cache = new CacheBytes();
  /** Deliveries so far: a mailbox's `usedAt`. */
  private deliveries = 0;
  /** Chained targets run ahead of the ready queue in a row (see `CHAIN_RUN`). */
  private chainRun = 0;
  /** `drain` is running: a call from inside it (an invocation that finished synchronously) leaves the work to that loop. */
  private draining = false;
  /** A turn ran `TURN_INVOCATIONS`: the rest runs at the next one. */
  private yielded = false;
  /** Counts not yet handed to the metrics sink (see `tally`). */
  private readonly tallied = {
    type: undefined as string | undefined,
    delivered: 0,
    invocations: 0,
    sent: 0,
    scheduled: false,
  };

  constructor(private readonly deps: DispatcherOptions) {}

  get buffered(): number {
    return this.bufferedCount;
  }
  get running(): number {
    return this.inFlight;
  }
  get cachedAddresses(): number {
    return this.mailboxes.size;
  }
  /** Estimated bytes of the cached addresses and their state. */
  get cachedBytes(): number {
    return this.cache.total;
  }

  /** Hands a message to its mailbox; `recovered` marks a parked message read back for its newly bound type. */
  deliver(m: StoredMessage, recovered = false): void {
    if (!recovered && this.deps.parking?.intercept(m)) {
      this.deps.parking.parked(functionTypeOf(m.target), [m]);
      return;
    }
    this.deliverTo(m, this.mailboxOf(m, undefined), false);
  }

  /** Puts `m` in its mailbox `mb`; `chained`: see `schedule`. */
  private deliverTo(m: StoredMessage, mb: Mailbox, chained: boolean): void {
    mb.usedAt = ++this.deliveries;
    mb.queue.push(m);
    this.bufferedCount++;
    this.tally(mb.functionType, 1, 0, 0);
    this.schedule(mb, chained);
  }

  /** The mailbox of a message's target, made when there is none (`type`: the target's function type, when known). */
  private mailboxOf(m: StoredMessage, type: string | undefined): Mailbox {
    let mb = this.mailboxes.get(m.target);
    if (mb === undefined) {
      if (this.mailboxes.size >= Math.max(this.deps.maxCachedAddresses, this.evictAt)) this.evict();
      mb = new Mailbox(m.target, m.keyGroup, type ?? functionTypeOf(m.target), this.cache);
      this.mailboxes.set(m.target, mb);
    }
    return mb;
  }

  /**
   * Hands an ingress message over before its commit (see `EarlyIngress`), when it would run at
   * once: its type is bound and not recovering parked messages, and there is room in memory.
   * False when it is to wait for its commit as usual. `type`: the target's function type, when known.
   */
  deliverEarly(m: StoredMessage, maxBuffered: number, type = functionTypeOf(m.target)): boolean {
    if (this.deps.early === undefined || this.stopping || this.bufferedCount >= maxBuffered || !this.runsAtOnce(type)) return false;
    this.deliverTo(m, this.mailboxOf(m, type), false);
    return true;
  }

  /**
   * Hands a source advance's messages over before its commit (see `EarlySources`), all of them in
   * order or none: none when the dispatcher is stopping or one of the targets' types is not bound
   * or recovers parked messages. There is no room to check: a source holds its next batch while
   * the mailboxes are full (see `Engine.sourcesOverloaded`), so memory holds at most the batches
   * its partitions had fetched over the limit.
   */
  handOverEarly(messages: readonly StoredMessage[]): boolean {
    if (this.deps.early === undefined || this.stopping) return false;
    const types: string[] = new Array(messages.length);
    let last: Address | undefined;
    let lastType = "";
    for (let i = 0; i < messages.length; i++) {
      const target = messages[i]!.target;
      if (last === undefined || target.type !== last.type || target.namespace !== last.namespace) {
        lastType = functionTypeOf(target);
        if (!this.runsAtOnce(lastType)) return false;
        last = target;
      }
      types[i] = lastType;
    }
    for (let i = 0; i < messages.length; i++) this.deliverTo(messages[i]!, this.mailboxOf(messages[i]!, types[i]), false);
    return true;
  }

  /** A message to `type` handed over before its commit would run at once: the type is bound and not recovering parked messages. */
  private runsAtOnce(type: string): boolean {
    return this.deps.bindings.binding(type) !== undefined && this.deps.parking?.recoveringType(type) !== true;
  }

  /**
   * For the sweeper, before it drops an expired instance: true when nothing of the address is in
   * flight (no invocation, no queued message, no commit pending), after forgetting its cached
   * state; false when it is in use (its next commit moves its expiry, or starts it over).
   */
  release(address: Address): boolean {
    const mb = this.mailboxes.get(address);
    if (mb === undefined) return true;
    if (!mb.idle) return false;
    this.forget(mb);
    return true;
  }

  /** A commit went through: invocations held back by a full commit pipeline may start. */
  committed(): void {
    if (this.ready.length > 0) this.drain();
  }

  /** Stops starting invocations; resolves when the running ones are done. */
  /**
   * Starts nothing more; resolves once the invocations running are done, or after `drainMs`: then
   * their results are dropped when they come (nothing of them is committed, so their messages run
   * again at the next start).
   */
  stop(drainMs = Number.POSITIVE_INFINITY): Promise<void> {
    this.stopping = true;
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = Number.isFinite(drainMs) ? setTimeout(() => this.abandon(), drainMs) : undefined;
      this.idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Stops waiting for the invocations still running: their results will be dropped. */
  private abandon(): void {
    this.abandoned = true;
    for (const resolve of this.idle.splice(0)) resolve();
  }

  /** Puts a mailbox with messages in the ready queue; `chained`: at its head (see `CHAIN_RUN`). */
  private schedule(mb: Mailbox, chained = false): void {
    if (mb.busy || mb.ready || mb.queue.length === 0) return;
    mb.ready = true;
    if (chained && this.chainRun < CHAIN_RUN) {
      this.chainRun++;
      this.ready.unshift(mb);
    } else {
      if (chained) this.chainRun = 0;
      this.ready.push(mb);
    }
    this.drain();
  }

  /** True while an address of these key groups runs, backs off, or waits for its commit. */
  busyIn(keyGroups: ReadonlySet<number>): boolean {
    for (const mb of this.mailboxes.values()) if (keyGroups.has(mb.keyGroup) && (mb.busy || mb.pendingCommits > 0)) return true;
    return false;
  }

  /** Forgets the (quiet) mailboxes of key groups given up: queued messages and cached state. */
  drop(keyGroups: ReadonlySet<number>): void {
    const gone = [...this.mailboxes.values()].filter((mb) => keyGroups.has(mb.keyGroup));
    for (const mb of gone) {
      mb.dropped = true;
      this.bufferedCount -= mb.queue.clear().length;
      this.forget(mb);
    }
    if (gone.length > 0) this.deps.released();
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      this.drainLoop();
    } finally {
      this.draining = false;
    }
  }

  private drainLoop(): void {
    const active = this.deps.active;
    const { committer, maxPendingCommits } = this.deps;
    let started = 0;
    // Running invocations count with the queued units: each one is to enqueue its own.
    while (
      !this.stopping &&
      this.inFlight < this.deps.maxInFlight &&
      this.ready.length > 0 &&
      committer.pending + this.inFlight < maxPendingCommits &&
      !committer.behind
    ) {
      if (started++ === TURN_INVOCATIONS) {
        this.yieldTurn();
        return;
      }
      const mb = this.ready.shift()!;
      mb.ready = false;
      // A key group being given up runs nothing new; a dropped mailbox never runs again.
      if (mb.dropped || !active(mb.keyGroup)) continue;
      const binding = this.bindingOf(mb);
      let slot: GateSlot<Mailbox> | undefined;
      if (binding?.invoker.maxInFlight !== undefined) {
        if (!this.gates.enter(binding.invoker, mb)) {
          mb.ready = true; // waits in its invoker's gate, its messages still in its mailbox
          continue;
        }
        slot = new GateSlot(this.gates, binding.invoker, this.requeue);
      }
      mb.busy = true;
      this.inFlight++;
      const pending = this.invoke(mb, binding, slot);
      if (pending === undefined) this.finished(slot);
      else if (slot === undefined) void pending.finally(this.settled);
      else void pending.finally(() => this.finished(slot));
    }
  }

  /** Puts a mailbox released by a gate back in the ready queue (it is still marked `ready`), to run once the current turn ends. */
  private readonly requeue = (mb: Mailbox): void => {
    this.ready.push(mb);
    this.scheduleDrain();
  };

  /** The binding a mailbox's next invocation runs with; none while its type is parked or draining its parked messages. */
  private bindingOf(mb: Mailbox): Binding | undefined {
    return this.deps.parking?.draining(mb.functionType) ? undefined : this.deps.bindings.binding(mb.functionType);
  }

  private finished(slot?: GateSlot<Mailbox>): void {
    slot?.free();
    this.inFlight--;
    if (this.stopping && this.inFlight === 0) for (const resolve of this.idle.splice(0)) resolve();
    this.scheduleDrain();
  }

  /** Runs the loop above in a microtask: whatever became ready meanwhile starts. */
  private scheduleDrain(): void {
    if (!this.drainQueued) {
      this.drainQueued = true;
      queueMicrotask(this.drainLater);
    }
  }

  /** Runs the loop above at the next turn, after I/O and timers. */
  private yieldTurn(): void {
    if (!this.yielded) {
      this.yielded = true;
      setImmediate(this.resumeTurn);
    }
  }

  private readonly resumeTurn = (): void => {
    this.yielded = false;
    this.drain();
  };

  /**
   * `drain` from a microtask. One function made once: a closure made in `finished` would cost
   * every invocation an allocation (the closure's context is made on each call, used or not).
   */
  private readonly drainLater = (): void => {
    this.drainQueued = false;
    this.drain();
  };

  /**
   * Counts `messages_delivered`, `invocations` and `messages_sent` of a function type, handed to
   * the metrics sink once a turn (at a microtask, or when another type comes) rather than three
   * calls a message.
   */
  private tally(type: string, delivered: number, invocations: number, sent: number): void {
    if (type !== this.tallied.type) {
      this.flushTally();
      this.tallied.type = type;
    }
    const t = this.tallied;
    t.delivered += delivered;
    t.invocations += invocations;
    t.sent += sent;
    if (!t.scheduled) {
      t.scheduled = true;
      queueMicrotask(this.flushTallyLater);
    }
  }

  private flushTally(): void {
    const t = this.tallied;
    const type = t.type;
    if (type === undefined) return;
    const metrics = this.deps.metrics;
    if (t.delivered > 0) metrics.count("messages_delivered", t.delivered, type);
    if (t.invocations > 0) metrics.count("invocations", t.invocations, type);
    if (t.sent > 0) metrics.count("messages_sent", t.sent, type);
    t.type = undefined;
    t.delivered = t.invocations = t.sent = 0;
  }

  private readonly flushTallyLater = (): void => {
    this.tallied.scheduled = false;
    this.flushTally();
  };

  /** An invocation (holding no gate slot) that did not finish synchronously: `finished` once it settles. */
  private readonly settled = (): void => this.finished();

  /**
   * Runs the next messages of a mailbox (one for an embedded function, up to the binding's batch
   * size for a remote one): synchronously when it can (state cached, handler synchronous).
   */
  private invoke(mb: Mailbox, binding = this.bindingOf(mb), slot?: GateSlot<Mailbox>): Promise<void> | undefined {
    if (binding === undefined) {
      this.park(mb);
      return undefined;
    }
    const batch = beforeEdit(mb.batch(binding.invoker.maxBatch));
    if (mb.state === undefined) return this.loadThenInvoke(mb, batch, binding, slot);
    const now = this.deps.clock.now();
    if (startOver(mb, now)) this.deps.metrics.count("instances_expired");
    if (isStateEdit(batch[0]!)) return this.edit(mb, batch[0]!, binding, now);
    const started = performance.now();
    try {
      const effects = binding.invoker.invoke(new Invocation(mb, batch, now, slot));
      if (!(effects instanceof Promise)) {
        this.succeeded(mb, batch, binding, effects, now, started);
        return undefined;
      }
      return this.whenInvoked(effects, mb, batch, binding, now, started);
    } catch (error) {
      this.failed(mb, batch, binding, error);
      return undefined;
    }
  }

  // The asynchronous paths of `invoke`, in functions of their own: closures in `invoke` itself
  // would cost every invocation, synchronous ones included, the allocation of their context.

  /** Reads the address's state from the store, then invokes. */
  private loadThenInvoke(
    mb: Mailbox,
    batch: readonly StoredMessage[],
    binding: Binding,
    slot: GateSlot<Mailbox> | undefined,
  ): Promise<void> {
    return this.loadState(mb).then(
      () => this.invoke(mb, undefined, slot),
      (error) => this.failed(mb, batch, binding, error),
    );
  }

  /** An invocation that returned a promise: its effects once it settles. */
  private whenInvoked(
    effects: Promise<Effects>,
    mb: Mailbox,
    batch: readonly StoredMessage[],
    binding: Binding,
    now: number,
    started: number,
  ): Promise<void> {
    return effects.then(
      (result) => this.succeeded(mb, batch, binding, result, now, started),
      (error) => this.failed(mb, batch, binding, error),
    );
  }

  private async loadState(mb: Mailbox): Promise<void> {
    const entries = await this.deps.store.loadState(mb.address);
    mb.loaded(entries);
  }

  private succeeded(mb: Mailbox, batch: readonly StoredMessage[], binding: Binding, effects: Effects, now: number, started: number): void {
    if (this.abandoned) return;
    const undeclared = effects.egress.length === 0 ? undefined : undeclaredEgress(mb.functionType, effects.egress, this.deps.bindings);
    if (undeclared !== undefined) {
      this.failed(mb, batch, binding, undeclared);
      return;
    }
    const metrics = this.deps.metrics;
    const type = mb.functionType;
    metrics.observe("invocation_latency_seconds", (performance.now() - started) / 1000, type);
    const specs = binding.specs(mb.functionType);
    const parts = effectsToUnit(mb, batch, effects, specs, this.deps.keyGroups, now, this.deps.cancel, binding.instanceTtlMs);
    this.tally(type, 0, batch.length, parts.messages.length);
    if (parts.messages.length > 0) {
      const owns = this.deps.active;
      let remote = 0;
      for (const m of parts.messages) if (!owns(m.keyGroup)) remote++;
      if (remote > 0) metrics.count("messages_sent_remote", remote, type);
    }
    if (parts.egress.length > 0) metrics.count("egress_records", parts.egress.length, type);
    if (parts.replies.length > 0) metrics.count("replies", parts.replies.length);
    if (parts.cancelTokens.length > 0) metrics.count("timers_cancelled", parts.cancelTokens.length);
    this.consume(mb, batch.length, parts);
  }

  /** An admin edit of the state at the head of the mailbox: applied and committed like an invocation's writes. */
  private edit(mb: Mailbox, m: StoredMessage, binding: Binding, now: number): undefined {
    try {
      const effects = stateEditEffects(m);
      const specs = binding.specs(mb.functionType);
      this.consume(mb, 1, effectsToUnit(mb, [m], effects, specs, this.deps.keyGroups, now, this.deps.cancel, binding.instanceTtlMs));
    } catch (error) {
      this.failed(mb, [m], binding, error);
    }
    return undefined;
  }

  /** The first `count` messages of the mailbox are done: their unit goes to the commit pipeline. */
  private consume(mb: Mailbox, count: number, u: CommitUnit): void {
    for (let i = 0; i < count; i++) {
      const m = mb.queue.shift()!;
      // An early ingress message (see `EarlyIngress`) gets its seq when its commit forms, and so
      // does a chained one (its sender's unit is still queued): the consuming unit's batch reads
      // it as it forms (a batch formed again, after a full disk, reads the new one).
      if (m.seq === 0) {
        if (u.unsequenced === undefined) u.unsequenced = [m];
        else u.unsequenced.push(m);
      }
    }
    mb.attempts = 0;
    mb.pendingCommits++;
    this.deps.committer.enqueue(u);
    if (u.messages.length > 0) this.handOn(mb, u);
    if (this.cache.total >= Math.max(this.deps.maxCacheBytes, this.evictAtBytes)) this.evict();
    this.bufferedCount -= count;
    mb.busy = false;
    this.deps.released();
    this.schedule(mb);
  }

  /**
   * The unit of an invocation of `sender` was enqueued: its messages to functions go to their
   * mailboxes now when they all may (see chained delivery above); otherwise they wait for its commit.
   */
  private handOn(sender: Mailbox, u: CommitUnit): void {
    const chain = this.deps.chain;
    if (chain === undefined) return;
    const messages = u.messages;
    let immediate = 0;
    let now = !this.stopping && chain.open();
    // The target's mailbox (made now: the message goes there, or waits for it), used again below when it is the only one.
    let target: Mailbox | undefined;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      if (m.dueAt !== undefined) continue;
      immediate++;
      if (!now) continue;
      const type = typeOf(m, sender);
      target = this.mailboxOf(m, type);
      if (target === sender || target.awaiting > 0 || !this.runnable(type)) now = false;
    }
    if (immediate === 0) return;
    if (!now || this.bufferedCount + immediate > chain.maxBuffered) {
      u.delivered = false;
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i]!;
        if (m.dueAt === undefined) this.mailboxOf(m, typeOf(m, sender)).awaiting++;
      }
      return;
    }
    u.delivered = true;
    if (immediate === 1 && messages.length === 1) {
      this.deliverTo(messages[0]!, target!, true);
      return;
    }
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      if (m.dueAt === undefined) this.deliverTo(m, this.mailboxOf(m, typeOf(m, sender)), true);
    }
  }

  /** Whether a message of this type may go to its mailbox now: its type is bound and not recovering parked messages. */
  private runnable(type: string): boolean {
    return this.deps.bindings.binding(type) !== undefined && !this.deps.parking?.recoveringType(type);
  }

  /** A message that waited for its commit (of a unit `delivered` false) was handed on (or left in the store). */
  arrived(m: StoredMessage): void {
    const mb = this.mailboxes.get(m.target);
    if (mb !== undefined) mb.awaiting--;
  }

  private failed(mb: Mailbox, batch: readonly StoredMessage[], binding: Binding, error: unknown): void {
    if (this.abandoned) return;
    const retry = binding.retry;
    mb.attempts++;
    this.deps.metrics.count("invocation_failures", 1, mb.functionType);
    const terminal = StatefunError.is(error) && error.terminal;
    const where = { address: mb.address, typenames: batch.map((m) => m.argument.typename), attempt: mb.attempts, error: errorText(error) };
    if (terminal || mb.attempts >= retry.maxAttempts) {
      this.deps.logger.warn(where, "message dead-lettered");
      this.deps.metrics.count("dead_letters", batch.length, mb.functionType);
      const now = this.deps.clock.now();
      const reason = `${terminal ? "rejected" : `failed ${mb.attempts} times`}: ${errorText(error)}`;
      // An invocation that retried by itself (a remote function's requests) counts each of its tries.
      const attempts = mb.attempts - 1 + ((StatefunError.is(error) ? error.attempts : undefined) ?? 1);
      const letters = batch.map((message) => ({ message, error: reason, attempts, failedAt: now }));
      this.consume(
        mb,
        batch.length,
        unit({ touchedKeyGroups: mb.keyGroups, consumed: batch.map((m) => m.seq), deadLetters: letters, mailbox: mb }),
      );
      return;
    }
    this.deps.logger.debug(where, "invocation failed, retrying");
    const backoff = Math.min(retry.maxBackoffMs, retry.initialBackoffMs * 2 ** (mb.attempts - 1));
    // The mailbox stays busy during the backoff: later messages of this address wait, others flow.
    this.deps.clock.setTimeout(() => {
      mb.busy = false;
      if (!this.stopping) this.schedule(mb);
    }, backoff);
  }

  /** No function is loaded for this type: its messages stay in the store, parked. */
  private park(mb: Mailbox): void {
    const dropped = mb.queue.clear();
    const n = dropped.length;
    if (n > 0) this.deps.parking?.parked(mb.functionType, dropped);
    this.bufferedCount -= n;
    mb.busy = false;
    if (mb.pendingCommits === 0 && mb.awaiting === 0) this.forget(mb);
    this.deps.released();
  }

  /** Per function type with addresses in memory: messages queued, addresses busy and retrying (one pass over the cache). */
  functionGauges(): Map<string, FunctionGauge> {
    return functionGauges(this.mailboxes.values());
  }

  /** No mailbox of the type holds a message, runs one, or waits for the commit of one. */
  quiet(functionType: string): boolean {
    for (const mb of this.mailboxes.values()) {
      if (mb.functionType === functionType && (mb.busy || mb.ready || mb.queue.length > 0 || mb.pendingCommits > 0)) return false;
    }
    return true;
  }

  /**
   * Forgets idle addresses (their state reloads from the store on their next message), least
   * recently used first, down to 90% of the cap on addresses and of the budget in bytes.
   */
  private evict(): void {
    const { maxCachedAddresses, maxCacheBytes } = this.deps;
    const target = Math.floor(maxCachedAddresses * 0.9);
    const targetBytes = Math.floor(maxCacheBytes * 0.9);
    const gone = leastRecentlyUsed(this.mailboxes.values(), this.mailboxes.size - target, this.cache.total - targetBytes);
    for (const mb of gone) this.forget(mb);
    if (gone.length > 0) this.deps.metrics.count("cache_evictions", gone.length);
    // Too few idle addresses (many queued or committing) to get under the cap: scanning again at every
    // new address would cost the whole cache each time; try again once another tenth of the cap came in.
    this.evictAt = this.mailboxes.size >= maxCachedAddresses ? this.mailboxes.size + Math.ceil(maxCachedAddresses / 10) : 0;
    this.evictAtBytes = this.cache.total >= maxCacheBytes ? this.cache.total + Math.ceil(maxCacheBytes / 10) : 0;
  }

  private forget(mb: Mailbox): void {
    this.mailboxes.delete(mb.address);
    mb.evicted();
  }
}

/** The function type of a message's target: the sender's own when it is of the same type (no string built). */
function typeOf(m: StoredMessage, sender: Mailbox): string {
  const a = sender.address;
  return m.target.type === a.type && m.target.namespace === a.namespace ? sender.functionType : functionTypeOf(m.target);
}

/** The request of one invocation: one object whose reads go to the mailbox's state as of `now`. */
class Invocation implements InvokeRequest {
  readonly address: Address;
  readonly functionType: string;

  constructor(
    private readonly mb: Mailbox,
    readonly messages: readonly StoredMessage[],
    readonly now: number,
    private readonly slot: GateSlot<Mailbox> | undefined,
  ) {
    this.address = mb.address;
    this.functionType = mb.functionType;
  }

  releaseSlot(): void {
    this.slot?.free();
  }

  value(name: string): TypedValue | undefined {
    return this.mb.value(name, this.now);
  }

  entries(prefix: string): [string, TypedValue][] {
    return this.mb.entries(prefix, this.now);
  }
}
