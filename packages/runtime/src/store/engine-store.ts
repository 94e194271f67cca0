import type { CommitBatch, CommitResult } from "./commit-batch.js";
import type { ExpiredRow, ReplyRow, StateEntry, StoredMessage } from "./records.js";

/**
 * A page of immediate messages in commit order. Positions are opaque numbers chosen by the store
 * (SQLite: the seq; PostgreSQL: e.g. a number assigned inside each commit under an advisory lock,
 * or a transaction-id horizon from `pg_snapshot_xmin(pg_current_snapshot())`).
 *
 * Guarantee (what lets a reader never miss a message with several writers): every immediate
 * message of the asked key groups that was committed before the call and is not consumed, with a
 * position in `(after, next]`, is in `messages`, in position order; and no message committed
 * later, by any worker, ever gets a position `<= next`. So reading again from `next` misses
 * nothing. `next >= after`. Messages of one commit keep their seq order, and a commit that
 * starts after another committed gets higher positions (FIFO per sender and receiver).
 * `messages.length < limit` means the reader caught up with everything visible.
 */
export interface MessagePage {
  readonly messages: StoredMessage[];
  readonly next: number;
}

/**
 * A commit of some worker, as announced by `Store.watch`. Absent lists mean "unknown": the
 * listener checks everything it waits for (a notification may be truncated or coalesced).
 * PostgreSQL: e.g. one `NOTIFY` per commit inside its transaction (delivered only if it commits),
 * with the lists as a JSON payload, leaving out a list that would not fit in 8,000 bytes.
 */
export interface StoreChange {
  /** The `fence.owner` of the commit. */
  readonly origin?: string | undefined;
  /** Key groups that got new immediate messages. */
  readonly messages?: readonly number[] | undefined;
  /** Key groups that got new delayed messages. */
  readonly timers?: readonly number[] | undefined;
  /** Request ids that got a reply. */
  readonly replies?: readonly string[] | undefined;
}

/**
 * What the engine needs to run: the atomic commit and the reads of inbox, timers, state, expiry
 * and replies. Every method may be called concurrently; `commit` calls are issued one at a time.
 */
export interface EngineStore {
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

  /** Deletes replies and idempotency keys created before `before` (epoch ms), at most `limit` of each; returns how many. */
  purge(before: number, limit: number): Promise<number>;

  /**
   * Optional wake-ups across workers: calls `listener` after commits of any worker that inserted
   * messages or replies (PostgreSQL: LISTEN/NOTIFY). Best effort: a lost change only delays, as the
   * runtime also polls. Returns a function that stops listening.
   */
  watch?(listener: (change: StoreChange) => void): () => void;
}
