import type { Address, TypedValue } from "@statefun-ts/protocol";
import type { StateSpecInfo } from "../binding.js";
import type { ClusterView, EgressClaim, MessagePage, StoreChange } from "./cluster-types.js";
import type { SourceCommitBatch, SourceCommitResult, SourcePositions } from "./source-positions.js";

/**
 * A message in the inbox. `seq` identifies it (allocated by `Store.allocateSeqs`) and orders the
 * messages of one writer; with several writers (cluster mode) the order in which messages become
 * visible is their commit position (`loadMessagesSince`), not `seq`. A message with `dueAt` is a
 * delayed message that may not be delivered before then.
 */
export interface StoredMessage {
  readonly seq: number;
  readonly keyGroup: number;
  readonly target: Address;
  readonly caller?: Address | undefined;
  readonly argument: TypedValue;
  /** Epoch milliseconds; absent for a message to deliver now. */
  readonly dueAt?: number | undefined;
  readonly cancellationToken?: string | undefined;
}

/** A new message from an ingress, deduplicated by `idempotencyKey` when given. */
export interface IngressMessage extends StoredMessage {
  /** The request's id (the caller id of a waiting HTTP request). */
  readonly requestId: string;
  readonly idempotencyKey?: string | undefined;
}

/** One state value of one address. */
export interface StateEntry {
  readonly name: string;
  readonly value: TypedValue;
  /** Epoch milliseconds after which the value counts as absent. */
  readonly expiresAt?: number | undefined;
}

/** A state write (`value`) or deletion (`value: null`). */
export interface StateWrite {
  readonly address: Address;
  readonly keyGroup: number;
  readonly name: string;
  readonly value: TypedValue | null;
  readonly expiresAt?: number | undefined;
}

/**
 * The reserved state name of an instance's expiry row (instance time-to-live). State names
 * cannot contain "[", so no state of a function can take it. The row's `expiresAt` is when the
 * whole instance expires; its value is empty (`INSTANCE_ROW_TYPE`). It lives in the state like
 * any value, so `loadState` returns it and `expiredState` finds it through the expiry index.
 */
export const INSTANCE_ROW = "[instance]";
export const INSTANCE_ROW_TYPE = "statefun.internal/instance";

/**
 * Deletes expired state, applied in a commit before its state writes:
 * - with `name`: the row `name` of `address`;
 * - without `name`: every state row of `address` (the whole instance).
 *
 * With `expiredBy`, the deletion happens only if the row `name` (or, for a whole instance, the
 * row `INSTANCE_ROW`) exists and has `expiresAt <= expiredBy`, checked inside the commit's
 * transaction; otherwise nothing of the address is deleted. Without it, the deletion is
 * unconditional.
 */
export interface StateDrop {
  readonly address: Address;
  readonly keyGroup: number;
  readonly name?: string | undefined;
  readonly expiredBy?: number | undefined;
}

/** A state row whose `expiresAt` has passed, as `Store.expiredState` finds it. */
export interface ExpiredRow {
  readonly address: Address;
  readonly keyGroup: number;
  readonly name: string;
  readonly expiresAt: number;
}

/** A record for an egress topic, with a stable id used as its idempotency key. */
export interface EgressRow {
  readonly id: number;
  readonly egress: string;
  readonly topic: string;
  readonly argument: TypedValue;
  readonly createdAt: number;
}

/** A reply to an ingress request, kept for `GET /replies/{requestId}`. */
export interface ReplyRow {
  readonly requestId: string;
  readonly argument: TypedValue;
}

/** A message that could not be processed, with why. */
export interface DeadLetter {
  readonly id: number;
  readonly message: StoredMessage;
  readonly error: string;
  readonly attempts: number;
  readonly failedAt: number;
}

/** The fencing token of a commit: the epoch the committing worker holds for each key group it writes. */
export interface Fence {
  readonly owner: string;
  readonly epochs: ReadonlyMap<number, number>;
}

/**
 * The effects of a group of invocations and ingress requests, committed atomically, in this order:
 * 1. every key group in `touchedKeyGroups` is checked against `fence` (else nothing is written
 *    and the commit throws a `StatefunError` with code `STATEFUN_FENCED`);
 * 2. ingress messages are inserted unless their idempotency key is already known;
 * 3. `consumed` messages are deleted (consumed, fired or dead-lettered), and every delayed
 *    message whose cancellation token is in `cancelTokens` is deleted;
 * 4. `messages` (immediate and delayed) are inserted;
 * 5. `drops` are applied (see `StateDrop`), then state writes, egress records, replies, dead
 *    letters and `replayed` dead letters.
 */
export interface CommitBatch extends SourceCommitBatch {
  /** The commit's wall-clock time (epoch ms): stored as the creation time of replies and idempotency keys. */
  readonly now: number;
  readonly fence: Fence;
  readonly touchedKeyGroups: ReadonlySet<number>;
  readonly ingress: readonly IngressMessage[];
  readonly consumed: readonly number[];
  readonly cancelTokens: readonly string[];
  readonly messages: readonly StoredMessage[];
  /** Expired state to delete before `state` is written (absent: none). */
  readonly drops?: readonly StateDrop[] | undefined;
  readonly state: readonly StateWrite[];
  readonly egress: readonly Omit<EgressRow, "id">[];
  readonly replies: readonly ReplyRow[];
  readonly deadLetters: readonly Omit<DeadLetter, "id">[];
  /** Dead letters deleted because their message was put back (replay). */
  readonly replayed: readonly number[];
}

/** What a commit tells back: ingress messages that were duplicates, by idempotency key, with the first request's id. */
export interface CommitResult extends SourceCommitResult {
  readonly duplicates: ReadonlyMap<string, string>;
}

/**
 * One entry of the persisted module registry: a module (`kind: "module"`, `body` = the module
 * YAML as given) or a function binding (`kind: "function"`, `name` = `namespace/name` or
 * `namespace/*`, `body` = its JSON). The store keeps bodies as opaque text.
 */
export interface RegistryEntry {
  readonly kind: "module" | "function";
  readonly name: string;
  readonly body: string;
}

/** The persisted registry: every entry, and the change counter it is at. */
export interface RegistrySnapshot {
  /** 0 for a new store; raised by exactly 1 by every `changeRegistry`. */
  readonly version: number;
  /** Ordered by `(kind, name)`. */
  readonly entries: readonly RegistryEntry[];
}

/** Puts (`body` a string) or deletes (`body` null) one registry entry. */
export interface RegistryChange {
  readonly kind: RegistryEntry["kind"];
  readonly name: string;
  readonly body: string | null;
}

/** Identity and shape of a store, fixed when it was created. */
export interface StoreInfo {
  readonly keyGroups: number;
  /**
   * True when several workers (processes) may open this store at once (PostgreSQL): the runtime
   * then runs in cluster mode by default. Absent or false for a store one process owns (SQLite).
   */
  readonly shared?: boolean | undefined;
}

export type {
  ClusterView,
  EgressClaim,
  Lease,
  MessagePage,
  StoreChange,
} from "./cluster-types.js";

/**
 * The durable store behind a runtime. The engine speaks only to this interface; SQLite
 * (embedded) and PostgreSQL (cluster) implement it and pass one conformance suite.
 * Every method may be called concurrently; `commit` calls are issued one at a time.
 */
export interface Store extends SourcePositions {
  open(): Promise<StoreInfo>;
  close(): Promise<void>;

  /** Takes the leases of `keyGroups` for `owner`, raising their epochs; returns the new epochs. */
  acquire(owner: string, keyGroups: readonly number[]): Promise<Map<number, number>>;

  // Cluster membership, leases and cross-worker reads: see cluster-types.ts for the exact semantics.

  /** Records that `owner` is alive for `leaseMs` more (store clock); returns the live members and every lease. */
  heartbeat(owner: string, leaseMs: number): Promise<ClusterView>;
  /** Removes `owner` from the members at once (a graceful stop); its leases stay as they are. */
  leave(owner: string): Promise<void>;
  /**
   * Conditional acquire, atomic: takes each of `keyGroups` that is free (never leased or released),
   * held by `owner` itself, or held by a worker that is not a live member; raises its epoch. Returns
   * the key groups taken with their new epochs (the others are left alone).
   */
  claim(owner: string, keyGroups: readonly number[]): Promise<Map<number, number>>;
  /** Releases each of `keyGroups` that `fence` still holds (same owner and epoch), keeping its epoch; others are left alone. */
  release(fence: Fence, keyGroups: readonly number[]): Promise<void>;

  /** Reserves `count` consecutive sequence numbers, above every one handed out before; returns the first. */
  allocateSeqs(count: number): Promise<number>;

  /** Commits a batch atomically and durably (see `CommitBatch` for the order). */
  commit(batch: CommitBatch): Promise<CommitResult>;

  /**
   * Immediate messages (no `dueAt`) of the key groups with `seq > afterSeq`, in `seq` order. The
   * single owner's inbox reads this way (it is the only writer, so seq order is commit order);
   * cluster workers read with `loadMessagesSince`.
   */
  loadMessages(keyGroups: readonly number[], afterSeq: number, limit: number): Promise<StoredMessage[]>;

  /**
   * Immediate messages of the key groups after the opaque `position` (0 = the beginning), in commit
   * order, and the position to read from next. See `MessagePage` for the guarantee (no message
   * committed later is ever placed at or before a returned position).
   */
  loadMessagesSince(keyGroups: readonly number[], position: number, limit: number): Promise<MessagePage>;

  /**
   * Delayed messages of the key groups with `after < (dueAt, seq)` and `dueAt <= until`,
   * ordered by `(dueAt, seq)`. `after` undefined starts from the beginning.
   */
  loadTimers(
    keyGroups: readonly number[],
    after: { dueAt: number; seq: number } | undefined,
    until: number,
    limit: number,
  ): Promise<StoredMessage[]>;

  /** The state of one address (expired values included; the caller checks `expiresAt`). */
  loadState(address: StoredMessage["target"]): Promise<StateEntry[]>;

  /**
   * State rows of the key groups with `expiresAt <= now`, ordered by `expiresAt` (ties in any
   * order), at most `limit`. Served by an index on `expiresAt`: the cost grows with the rows
   * returned, never with all state. Rows of every kind: values and `INSTANCE_ROW` rows.
   */
  expiredState(keyGroups: readonly number[], now: number, limit: number): Promise<ExpiredRow[]>;

  /**
   * Optional: gives storage freed by deletions back to the file system, bounded work per call
   * (SQLite: `PRAGMA incremental_vacuum(pages)`). Returns the number of free pages left (0 when
   * nothing is left to give back). A store that reclaims space by itself leaves it out.
   */
  reclaim?(pages: number): Promise<number>;

  getReply(requestId: string): Promise<ReplyRow | undefined>;

  /** The oldest records of a topic, skipping ids in `exclude`. */
  peekEgress(topic: string, limit: number, exclude?: ReadonlySet<number>): Promise<EgressRow[]>;
  /** Deletes delivered egress records. */
  deleteEgress(ids: readonly number[]): Promise<void>;
  /**
   * Takes the oldest record of a topic that no one holds, for `claimant`, until `leaseMs` from now
   * (store clock): concurrent claims from any worker never get the same record while the claim holds.
   */
  claimEgress(topic: string, claimant: string, leaseMs: number): Promise<EgressClaim | undefined>;
  /** Gives a claimed record back (not delivered): it is the oldest again for the next claim. A no-op unless `claimant` holds it. */
  unclaimEgress(id: number, claimant: string): Promise<void>;

  listDeadLetters(limit: number, afterId?: number): Promise<DeadLetter[]>;
  getDeadLetter(id: number): Promise<DeadLetter | undefined>;

  /** Deletes replies and idempotency keys created before `before` (epoch ms), at most `limit` of each; returns how many. */
  purge(before: number, limit: number): Promise<number>;

  /** The states registered by remote functions (the handshake of the remote protocol), by function type. */
  loadStateSpecs(): Promise<Map<string, StateSpecInfo[]>>;
  /** Registers states of a function type durably: adds new names, replaces the spec of known ones. */
  saveStateSpecs(functionType: string, specs: readonly StateSpecInfo[]): Promise<void>;

  /**
   * The module registry (dynamic loading). Every worker of a store sees the same entries; a
   * worker polls `registryVersion()` (one cheap read) and reloads when it changed.
   */
  loadRegistry(): Promise<RegistrySnapshot>;
  registryVersion(): Promise<number>;
  /**
   * Applies one change atomically and durably and raises the version by 1 (also when a delete
   * finds nothing); returns the new version.
   */
  changeRegistry(change: RegistryChange): Promise<number>;

  /**
   * Immediate messages (no `dueAt`) to one function type `namespace/type`, in the key groups,
   * with `afterSeq < seq <= upToSeq`, in `seq` order: how parked messages are found when their
   * type is loaded (indexed by target type, never a scan of the whole inbox).
   */
  loadMessagesOfType(
    keyGroups: readonly number[],
    functionType: string,
    afterSeq: number,
    upToSeq: number,
    limit: number,
  ): Promise<StoredMessage[]>;

  /**
   * Function types with parked messages and since when (epoch ms) they are parked: the durable
   * clock of the park timeout. `setParked(type, since)` records a type unless it is recorded
   * already (the first time wins); `setParked(type, undefined)` forgets it.
   */
  parkedTypes(): Promise<Map<string, number>>;
  setParked(functionType: string, since: number | undefined): Promise<void>;

  /** Counts: messages waiting (immediate), delayed messages, egress records, dead letters. */
  stats(): Promise<{ messages: number; timers: number; egress: number; deadLetters: number }>;

  /**
   * Optional wake-ups across workers: calls `listener` after commits of any worker that inserted
   * messages or replies (PostgreSQL: LISTEN/NOTIFY). Best effort: a lost change only delays, as the
   * runtime also polls. Returns a function that stops listening.
   */
  watch?(listener: (change: StoreChange) => void): () => void;
}
