import type { Fence } from "./commit-batch.js";

/**
 * Cluster semantics of the Store (membership, leases). Every store implements them; a store one
 * process owns (SQLite) may do so simply, but exactly.
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

/** Leases of key groups and cluster membership (see `Lease` for the exact semantics). */
export interface LeaseStore {
  /** Takes the leases of `keyGroups` for `owner`, raising their epochs; returns the new epochs. */
  acquire(owner: string, keyGroups: readonly number[]): Promise<Map<number, number>>;
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
}
