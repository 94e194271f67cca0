import type { Address, TypedValue } from "@statefun-ts/protocol";
import { INSTANCE_ROW, type StateEntry, type StoredMessage } from "../store/types.js";
import { addressBytes, type CacheBytes, entryBytes } from "./cache-bytes.js";
import { Deque } from "./deque.js";

/** The in-memory side of one address: its queued messages and its current state. */
export class Mailbox {
  readonly queue = new Deque<StoredMessage>();
  /** An invocation (or its retry backoff) is under way. */
  busy = false;
  /** Waiting in the dispatcher's ready queue. */
  ready = false;
  /** Units of this address enqueued but not yet committed. */
  pendingCommits = 0;
  /**
   * Messages to this address that wait for the commit of the unit that sent them: chained delivery
   * (see `Dispatcher`) to it waits until they are here (FIFO per pair).
   */
  awaiting = 0;
  /** Failed attempts of the head message. */
  attempts = 0;
  /** Forgotten with its key group (given up): it never runs again. */
  dropped = false;
  /** The instance expired (instance TTL): the next commit of this address deletes its old rows first. */
  cleared = false;
  /** Current values, uncommitted writes included; undefined until loaded from the store (see `loaded`, `put`). */
  state: Map<string, StateEntry> | undefined;
  /**
   * The cached `INSTANCE_ROW` entry (instance TTL), kept apart from `state` as well: read on
   * every invocation, it then costs no lookup.
   */
  instanceRow: StateEntry | undefined;
  /** `[keyGroup]`, shared by every unit of this address. */
  readonly keyGroups: readonly number[];
  /** Estimated bytes of this address in the cache, counted in `cache` (see `CacheBytes`). */
  private bytes: number;
  /** When it was last given a message (the dispatcher's count of deliveries): the least recently used go first. */
  usedAt = 0;

  constructor(
    readonly address: Address,
    readonly keyGroup: number,
    readonly functionType: string,
    private readonly cache: CacheBytes,
  ) {
    this.keyGroups = [keyGroup];
    this.bytes = addressBytes(address);
    cache.total += this.bytes;
  }

  /** The state as read from the store (or empty, for an instance that starts over). */
  loaded(entries: readonly StateEntry[]): void {
    this.forgetState();
    const state = new Map<string, StateEntry>();
    let bytes = 0;
    let instanceRow: StateEntry | undefined;
    for (const e of entries) {
      state.set(e.name, e);
      bytes += entryBytes(e.name, e);
      if (e.name === INSTANCE_ROW) instanceRow = e;
    }
    this.state = state;
    this.instanceRow = instanceRow;
    this.grow(bytes);
  }

  /** Writes (`entry`) or deletes (undefined) one cached value. */
  put(name: string, entry: StateEntry | undefined): void {
    const state = this.state!;
    const old = state.get(name);
    let delta = old === undefined ? 0 : -entryBytes(name, old);
    if (entry === undefined) state.delete(name);
    else {
      state.set(name, entry);
      delta += entryBytes(name, entry);
    }
    if (name === INSTANCE_ROW) this.instanceRow = entry;
    this.grow(delta);
  }

  get cachedBytes(): number {
    return this.bytes;
  }

  /** Leaves the cache: its bytes no longer count. */
  evicted(): void {
    this.cache.total -= this.bytes;
    this.bytes = 0;
  }

  private forgetState(): void {
    if (this.state === undefined) return;
    let bytes = 0;
    for (const [name, e] of this.state) bytes += entryBytes(name, e);
    this.grow(-bytes);
  }

  private grow(delta: number): void {
    this.bytes += delta;
    this.cache.total += delta;
  }

  get idle(): boolean {
    return !this.busy && !this.ready && this.queue.length === 0 && this.pendingCommits === 0 && this.awaiting === 0;
  }

  /** The first `max` queued messages (the head alone when `max` is 1). */
  batch(max: number): StoredMessage[] {
    const n = Math.min(max, this.queue.length);
    const batch: StoredMessage[] = new Array(n);
    for (let i = 0; i < n; i++) batch[i] = this.queue.at(i)!;
    return batch;
  }

  value(name: string, now: number): TypedValue | undefined {
    const entry = this.state?.get(name);
    return entry !== undefined && live(entry, now) ? entry.value : undefined;
  }

  /** Unexpired values whose names start with `prefix`, in no particular order. */
  entries(prefix: string, now: number): [string, TypedValue][] {
    const found: [string, TypedValue][] = [];
    if (this.state === undefined) return found;
    for (const [name, entry] of this.state) {
      if (name.startsWith(prefix) && live(entry, now)) found.push([name, entry.value]);
    }
    return found;
  }
}

/** False once the entry's state TTL has passed. */
function live(entry: StateEntry, now: number): boolean {
  return entry.expiresAt === undefined || entry.expiresAt > now;
}
