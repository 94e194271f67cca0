import type { Clock } from "../clock.js";
import type { Store, StoredMessage } from "../store/types.js";
import { Heap } from "./heap.js";

type Position = { dueAt: number; seq: number };

const before = (a: Position, b: Position) => a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.seq < b.seq);

export interface TimersOptions {
  readonly store: Store;
  /** The key groups to read. */
  readonly keyGroups: () => readonly number[];
  readonly clock: Clock;
  /** Hands a due message on. */
  readonly fire: (message: StoredMessage) => void;
  /** How far ahead delayed messages are held in memory (default 60 s). */
  readonly windowMs?: number;
  /** Delayed messages held in memory at most (default 20,000). */
  readonly maxHeld?: number;
  /** Whether this worker owns a key group now (always true for a single owner). */
  readonly owns: (keyGroup: number) => boolean;
}

/**
 * Delayed messages: the near future in an in-memory heap, the rest in the store.
 * Invariant: every committed delayed message at or before `cursor` is in the heap, fired
 * (`known` until its consumption commits) or cancelled.
 */
export class Timers {
  private readonly heap = new Heap<StoredMessage>((a, b) => before(a as Position, b as Position));
  /** Seq to key group of every message held or fired and not consumed yet. */
  private readonly known = new Map<number, number>();
  private cursor: Position | undefined;
  private loadingUntil: number | undefined;
  private deferredForget: number[] = [];
  private readonly pendingCancels = new Map<string, number>();
  private alarm: { cancel(): void; at: number } | undefined;
  private ticker: { cancel(): void } | undefined;
  private stopped = false;
  /** A rescan was asked for while loading: run one more when this load ends. */
  private rescanAgain = false;

  private readonly store: Store;
  private readonly keyGroups: () => readonly number[];
  private readonly clock: Clock;
  private readonly fire: (message: StoredMessage) => void;
  private readonly windowMs: number;
  private readonly maxHeld: number;
  private readonly owns: (keyGroup: number) => boolean;

  constructor(options: TimersOptions) {
    this.store = options.store;
    this.keyGroups = options.keyGroups;
    this.clock = options.clock;
    this.fire = options.fire;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxHeld = options.maxHeld ?? 20_000;
    this.owns = options.owns;
  }

  async start(): Promise<void> {
    await this.load();
    this.tick();
  }

  stop(): void {
    this.stopped = true;
    this.alarm?.cancel();
    this.ticker?.cancel();
  }

  /** A delayed message that just committed. */
  offer(message: StoredMessage): void {
    if (!this.owns(message.keyGroup)) return;
    // Due after everything loaded or being loaded: the loader will find it. (Holding a few more
    // than the invariant asks is harmless: `known` keeps each message once.)
    const coveredUntil = Math.max(this.cursor?.dueAt ?? Number.NEGATIVE_INFINITY, this.loadingUntil ?? Number.NEGATIVE_INFINITY);
    if (message.dueAt! > coveredUntil) return;
    this.add(message);
    this.arm();
  }

  /** An invocation cancelled `token` (not committed yet): drop what is held, and hold off loading it. */
  cancel(token: string): number {
    this.pendingCancels.set(token, (this.pendingCancels.get(token) ?? 0) + 1);
    const removed = this.heap.removeWhere((m) => m.cancellationToken === token);
    for (const m of removed) this.known.delete(m.seq);
    return removed.length;
  }

  /** The cancellations of a batch are durable now. */
  cancelsCommitted(tokens: readonly string[]): void {
    for (const token of tokens) {
      const n = (this.pendingCancels.get(token) ?? 1) - 1;
      if (n <= 0) this.pendingCancels.delete(token);
      else this.pendingCancels.set(token, n);
    }
  }

  /** A message's consumption is durable now; true when it was a delayed message. */
  consumed(seq: number): boolean {
    // Asked for every consumed message: with no delayed message pending (a chain), no lookup.
    if (this.known.size === 0 || !this.known.has(seq)) return false;
    if (this.loadingUntil !== undefined) this.deferredForget.push(seq);
    else this.known.delete(seq);
    return true;
  }

  /**
   * Cluster mode: another worker may have committed delayed messages for owned key groups, due
   * before the cursor, or key groups were acquired. Reads the window again from its start
   * (`known` keeps every message once).
   */
  rescan(): void {
    if (this.stopped) return;
    if (this.loadingUntil !== undefined) {
      this.rescanAgain = true;
      return;
    }
    this.cursor = undefined;
    void this.retried();
  }

  /** Forgets the delayed messages of key groups this worker gave up (they stay in the store). */
  drop(keyGroups: ReadonlySet<number>): void {
    this.heap.removeWhere((m) => keyGroups.has(m.keyGroup));
    // Fired ones sat in mailboxes that were dropped with the key groups: they fire again on the next owner.
    for (const [seq, kg] of this.known) if (keyGroups.has(kg)) this.known.delete(seq);
  }

  private add(message: StoredMessage): void {
    if (this.known.has(message.seq) || !this.owns(message.keyGroup)) return;
    if (message.cancellationToken !== undefined && this.pendingCancels.has(message.cancellationToken)) return;
    this.known.set(message.seq, message.keyGroup);
    this.heap.push(message);
  }

  private async load(): Promise<void> {
    if (this.loadingUntil !== undefined || this.stopped) return;
    const room = this.maxHeld - this.heap.size;
    if (room <= 0) return;
    const until = this.clock.now() + this.windowMs;
    this.loadingUntil = until;
    try {
      // From the start (a rescan), messages held or fired come again: read past them.
      const limit = this.cursor === undefined ? room + this.known.size : room;
      const rows = await this.store.loadTimers(this.keyGroups(), this.cursor, until, limit);
      for (const row of rows) this.add(row);
      const last = rows.at(-1);
      const next = rows.length === limit && last ? (last as Position) : { dueAt: until, seq: Number.MAX_SAFE_INTEGER };
      if (this.cursor === undefined || before(this.cursor, next)) this.cursor = next;
    } finally {
      this.loadingUntil = undefined;
      for (const seq of this.deferredForget) this.known.delete(seq);
      this.deferredForget = [];
      this.arm();
      if (this.rescanAgain) {
        this.rescanAgain = false;
        this.rescan();
      }
    }
  }

  /** A load in the background: one that fails leaves the cursor where it was, and the ticker tries again. */
  private retried(): Promise<void> {
    return this.load().catch(() => {});
  }

  private tick(): void {
    if (this.stopped) return;
    this.ticker = this.clock.setTimeout(
      () => {
        void this.retried().finally(() => this.tick());
      },
      Math.max(50, this.windowMs / 4),
    );
  }

  private arm(): void {
    if (this.stopped) return;
    const next = this.heap.peek();
    if (next === undefined) return;
    const at = next.dueAt!;
    if (this.alarm && this.alarm.at <= at) return;
    this.alarm?.cancel();
    const handle = this.clock.setTimeout(() => this.fireDue(), Math.max(0, at - this.clock.now()));
    this.alarm = { cancel: () => handle.cancel(), at };
  }

  private fireDue(): void {
    this.alarm = undefined;
    const now = this.clock.now();
    for (let next = this.heap.peek(); next !== undefined && next.dueAt! <= now; next = this.heap.peek()) {
      this.heap.pop();
      this.fire(next);
    }
    this.arm();
    if (this.heap.size < this.maxHeld / 2) void this.retried();
  }
}
