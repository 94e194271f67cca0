import type { EgressRow, StoredMessage } from "./types.js";

/**
 * Cluster semantics of the Store (membership, leases, cross-worker reads). Every store
 * implements them; a store one process owns (SQLite) may do so simply, but exactly.
 *
 * Membership. `heartbeat(owner, leaseMs)` upserts `owner` with `expiresAt = now + leaseMs`, where
 * `now` is the STORE's clock (PostgreSQL: `now()` of the database, so workers' clocks never
 * matter). A member is live while `expiresAt > now`; `heartbeat(owner, 0)` makes it lapse at
 * once. `leave(owner)` deletes the member. Members that lapsed may be kept or deleted: they are
 * simply never listed.
 *
 * Leases. A key group's lease is `(owner | released, epoch)`; epochs only ever rise, by one on
 * every `acquire` or `claim` that takes it (the first take gives epoch 1). `claim(owner, kgs)`
 * takes, in one transaction, every listed key group that is never leased, released, held by
 * `owner` itself, or held by an owner that is not a live member at the store's `now`; the rest
 * stay as they are. `release(fence, kgs)` sets `released` on each listed key group whose lease is
 * exactly `(fence.owner, fence.epochs.get(kg))`, keeping the epoch. A commit touching a key group
 * checks its lease in the same transaction (`STATEFUN_FENCED` otherwise), so a worker frozen past
 * its lease can never write once another claimed the key group. `acquire` stays unconditional
 * (the embedded single-owner case and tests).
 */
export interface Lease {
  /** Undefined once released. */
  readonly owner: string | undefined;
  readonly epoch: number;
}

/** What a heartbeat sees, read in the same transaction as the heartbeat itself. */
export interface ClusterView {
  /** The store's clock (epoch ms). */
  readonly now: number;
  /** Live members (including the one that just heartbeated when `leaseMs > 0`), sorted by code unit order. */
  readonly members: readonly string[];
  /** Every key group that was ever leased. */
  readonly leases: ReadonlyMap<number, Lease>;
}

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

/** An egress record claimed by one worker for delivery; `claimedUntil` is on the store's clock. */
export interface EgressClaim extends EgressRow {
  readonly claimedUntil: number;
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
