/**
 * Who delivers a named stream of a shared store (a Kafka egress's outbox) in cluster mode: one
 * worker at a time, so the workers do not fight over it (each exactly-once Kafka egress of each
 * worker uses the same transactional id, and two of them at once fence each other's producers).
 *
 * A deliverer lease is `(owner | released, epoch)` per name. `claimDeliverer(name, owner)` takes
 * it, in one transaction, when it is free (never taken or released), already held by `owner`, or
 * held by an owner that is not a live member at the store's `now` (membership of `LeaseStore`:
 * the holder's heartbeats keep it, so it fails over like key groups, and a single owner, which
 * does not heartbeat, always gets it at once). The epoch rises by one each time the lease passes
 * to an owner that did not hold it (the first take gives epoch 1) and stays while the holder
 * claims it again. `releaseDeliverer(name, owner)` frees it when `owner` holds it.
 *
 * The lease is not a fence: a deliverer that paused past its membership can still be writing
 * while the next one starts; what it delivers must be fenced elsewhere (Kafka fences the older
 * transactional producer). The lease only keeps the workers from taking turns all the time.
 */
export interface DelivererLease {
  /** Undefined when released (or never taken). */
  readonly owner: string | undefined;
  readonly epoch: number;
}

/** Deliverer leases: one worker of a cluster delivers each named stream (see `DelivererLease`). */
export interface DelivererLeases {
  /** Takes or keeps the lease `name` for `owner` when it may (see `DelivererLease`); returns the lease as it stands after. */
  claimDeliverer(name: string, owner: string): Promise<DelivererLease>;
  /** Releases the lease `name` if `owner` holds it (keeping its epoch); otherwise does nothing. */
  releaseDeliverer(name: string, owner: string): Promise<void>;
}
