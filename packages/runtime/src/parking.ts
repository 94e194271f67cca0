import { functionTypeOf } from "@statefun-ts/protocol";
import type { Clock } from "./clock.js";
import type { Logger } from "./observe.js";
import type { ParkingStore, StoredMessage } from "./store/types.js";

/** What parking needs of the engine around it. */
export interface ParkingDeps {
  readonly store: ParkingStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly owned: () => readonly number[];
  /** Every committed immediate message with `seq <=` this has been handed to the dispatcher (the inbox's cursor). */
  readonly handedOver: () => number;
  /**
   * Asks the inbox to deliver the parked messages of a (quiet) type again itself: true when it
   * does (a cluster's inbox, which reads by commit position), false when parking is to read them
   * by type (see `Inbox.redeliverParked`).
   */
  readonly redeliver: (functionType: string) => boolean;
  /** Whether a type has a binding now. */
  readonly bound: (functionType: string) => boolean;
  /** No mailbox of the type holds, runs or waits for the commit of a message. */
  readonly quiet: (functionType: string) => boolean;
  /** Messages held in memory, and the most to hold. */
  readonly buffered: () => number;
  readonly maxBuffered: number;
  /** Hands a parked message read back from the store to its mailbox. */
  readonly deliver: (message: StoredMessage) => void;
  /** Dead-letters stored messages (consumed with them, in one commit); resolves once committed. */
  readonly deadLetter: (messages: readonly StoredMessage[], reason: string) => Promise<void>;
  /** How long a type may stay parked before its messages are dead-lettered. */
  readonly timeoutMs: number;
}

interface Recovery {
  phase: "drain" | "feed";
  /** The highest seq of a message of the type dropped (left in the store) while recovering. */
  maxDropped: number;
}

/** Messages read at least per page (feeding reads more when the buffers have room: see `recover`). */
const PAGE = 500;
/** Fired delayed messages remembered per parked type; past this, the rest fire again at the next restart. */
const MAX_FIRED_TIMERS = 10_000;

/**
 * Messages to function types with no binding stay in the store (parked). When a type is
 * bound, its parked messages are read back by target type and delivered in `seq` order:
 * first the type *drains* (it still behaves as unbound until no mailbox of the type holds a
 * message or an uncommitted invocation, so nothing in memory can be delivered twice), then
 * it is *fed* from the store while newer messages of the type are dropped (they stay in the
 * store and are read in a later page), until the reads catch up. A type parked longer than
 * `timeoutMs` has its messages dead-lettered. Recoveries and sweeps run one at a time.
 */
export class Parking {
  private readonly counts = new Map<string, number>();
  private readonly since = new Map<string, number>();
  private readonly recovering = new Map<string, Recovery>();
  /** Delayed messages that fell due while their type had no binding (the store keeps them; only a restart would fire them again). */
  private readonly firedTimers = new Map<string, StoredMessage[]>();
  private lane: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly deps: ParkingDeps) {}

  /** Reads the durable park times (call once the store is open). */
  async start(): Promise<void> {
    for (const [type, since] of await this.deps.store.parkedTypes()) {
      // A type bound at start gets its stored messages from the inbox, like any other.
      if (this.deps.bound(type)) this.forget(type);
      else this.since.set(type, since);
    }
  }

  stop(): void {
    this.stopped = true;
  }

  /** Messages parked now, by function type (as this worker has seen them). */
  byType(): Map<string, number> {
    return new Map([...this.counts].filter(([, n]) => n > 0));
  }

  get total(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  /** The dispatcher left messages of a type in the store: no binding. */
  parked(functionType: string, messages: readonly StoredMessage[]): void {
    this.counts.set(functionType, (this.counts.get(functionType) ?? 0) + messages.length);
    for (const m of messages) {
      if (m.dueAt === undefined) continue;
      const fired = this.firedTimers.get(functionType);
      if (fired === undefined) this.firedTimers.set(functionType, [m]);
      else if (fired.length < MAX_FIRED_TIMERS) fired.push(m);
    }
    if (this.since.has(functionType)) return;
    const now = this.deps.clock.now();
    this.since.set(functionType, now);
    this.deps.store.setParked(functionType, now).catch((error: unknown) => {
      this.deps.logger.warn({ functionType, error: String(error) }, "recording the park time failed");
    });
  }

  /** True while parked messages of the type are being delivered: new ones wait behind them (in the store). */
  recoveringType(functionType: string): boolean {
    return this.recovering.size > 0 && this.recovering.has(functionType);
  }

  /** True when a message from the inbox or a timer must not reach its mailbox now (it stays in the store). */
  intercept(m: StoredMessage): boolean {
    if (this.recovering.size === 0 || m.dueAt !== undefined) return false;
    const r = this.recovering.get(functionTypeOf(m.target));
    if (r === undefined) return false;
    if (m.seq > r.maxDropped) r.maxDropped = m.seq;
    return true;
  }

  /** True while a type that was just bound still counts as unbound. */
  draining(functionType: string): boolean {
    return this.recovering.size > 0 && this.recovering.get(functionType)?.phase === "drain";
  }

  /** A binding for a type or a namespace (`ns/*`) was added: recover the parked types it covers. */
  bound(typename: string): void {
    const namespace = typename.endsWith("/*") ? typename.slice(0, -1) : undefined;
    const covered = (type: string) =>
      namespace === undefined ? type === typename : type.startsWith(namespace) && !type.slice(namespace.length).includes("/");
    for (const type of new Set([...this.counts.keys(), ...this.since.keys()])) {
      if (!covered(type) || this.recovering.has(type) || !this.deps.bound(type)) continue;
      this.recovering.set(type, { phase: "drain", maxDropped: 0 });
      this.run(() => this.recover(type), type, "recovering parked messages failed");
    }
  }

  /** Dead-letters the messages of types parked for longer than the timeout. */
  sweep(): void {
    const now = this.deps.clock.now();
    for (const [type, since] of this.since) {
      if (now - since < this.deps.timeoutMs || this.recovering.has(type) || this.deps.bound(type)) continue;
      this.run(() => this.expire(type), type, "dead-lettering parked messages failed");
    }
  }

  private run(task: () => Promise<void>, functionType: string, failure: string): void {
    this.lane = this.lane.then(task).catch((error: unknown) => {
      this.recovering.delete(functionType);
      this.deps.logger.error({ functionType, error: String(error) }, failure);
    });
  }

  private async recover(type: string): Promise<void> {
    const r = this.recovering.get(type)!;
    while (!this.deps.quiet(type)) {
      if (this.stopped || !this.deps.bound(type)) return void this.recovering.delete(type);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    r.phase = "feed";
    let cursor = 0;
    let delivered = 0;
    const redelivered = this.deps.redeliver(type);
    if (redelivered) delivered = this.counts.get(type) ?? 0;
    for (; !redelivered; ) {
      while (this.deps.buffered() > this.deps.maxBuffered / 2 && !this.stopped) await new Promise((resolve) => setTimeout(resolve, 5));
      if (this.stopped || !this.deps.bound(type)) return void this.recovering.delete(type);
      const upTo = this.deps.handedOver();
      // As much as the buffers have room for, as the inbox reads its backlog: a store whose reads
      // wait behind the commits in flight (its thread's) would otherwise feed the engine a page a commit.
      const limit = Math.max(PAGE, this.deps.maxBuffered - this.deps.buffered());
      const rows = await this.deps.store.loadMessagesOfType(this.deps.owned(), type, cursor, upTo, limit);
      for (const m of rows) this.deps.deliver(m);
      delivered += rows.length;
      if (rows.length === limit) {
        cursor = rows.at(-1)!.seq;
        continue;
      }
      cursor = upTo;
      if (r.maxDropped <= upTo) break;
    }
    const fired = this.firedTimers.get(type) ?? [];
    this.firedTimers.delete(type);
    for (const m of fired) this.deps.deliver(m);
    this.recovering.delete(type);
    this.forget(type);
    this.deps.logger.info({ functionType: type, delivered: delivered + fired.length }, "parked messages delivered");
  }

  private async expire(type: string): Promise<void> {
    const since = this.since.get(type);
    if (since === undefined) return;
    const reason = `no function was loaded for ${type} within the park timeout (${this.deps.timeoutMs} ms, parked since ${new Date(since).toISOString()})`;
    let cursor = 0;
    let expired = 0;
    for (;;) {
      if (this.stopped || this.recovering.has(type) || this.deps.bound(type)) return;
      const rows = await this.deps.store.loadMessagesOfType(this.deps.owned(), type, cursor, this.deps.handedOver(), PAGE);
      if (rows.length === 0) break;
      await this.deps.deadLetter(rows, reason);
      expired += rows.length;
      cursor = rows.at(-1)!.seq;
    }
    const fired = this.firedTimers.get(type) ?? [];
    this.firedTimers.delete(type);
    if (fired.length > 0) await this.deps.deadLetter(fired, reason);
    expired += fired.length;
    this.forget(type);
    this.deps.logger.warn({ functionType: type, expired }, "parked messages dead-lettered: park timeout");
  }

  private forget(type: string): void {
    this.counts.delete(type);
    this.since.delete(type);
    this.deps.store.setParked(type, undefined).catch((error: unknown) => {
      this.deps.logger.warn({ functionType: type, error: String(error) }, "clearing the park time failed");
    });
  }
}
