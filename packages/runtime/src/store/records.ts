import type { Address, TypedValue } from "@statefun-ts/protocol";

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
  /** What the request was (a hash of target, type and body), stored with its idempotency key. */
  readonly fingerprint?: string | undefined;
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
