import type { Address, TypedValue } from "@statefun-ts/protocol";
import type { EgressRow } from "./store/types.js";

/** A message from an ingress. */
export interface IngestRequest {
  readonly target: Address;
  readonly argument: TypedValue;
  /** Retries of a request with the same key count once. */
  readonly idempotencyKey?: string | undefined;
  /** Register for the function's reply: the function sees caller `statefun.ingress/http` with the request id. */
  readonly awaitReply?: boolean | undefined;
}

/** What an accepted (durably committed) ingress request tells back. */
export interface IngestReceipt {
  /** The request id; for a duplicate, the id of the first request with the same idempotency key. */
  readonly requestId: string;
  readonly duplicate: boolean;
  /** With `awaitReply`: waits up to `timeoutMs` for the reply; `undefined` on timeout. */
  readonly reply?: ((timeoutMs: number) => Promise<TypedValue | undefined>) | undefined;
}

/** One state value of an instance, as the admin API shows it. */
export interface StateView {
  readonly name: string;
  readonly typename: string;
  readonly value: Uint8Array;
  readonly expiresAt?: number | undefined;
}

/** An egress record handed to a consumer: `ack` deletes it once delivered, `release` puts it back. */
export interface EgressDelivery {
  readonly record: EgressRow;
  ack(): Promise<void>;
  release(): void;
}

/**
 * An egress record claimed for a visibility timeout: hidden from other consumers until
 * `visibleUntil` (epoch ms, store clock), deleted only by `Runtime.ackEgress(record.id, receipt)`;
 * `release` gives it back at once (the consumer never got it).
 */
export interface EgressClaimed {
  readonly record: EgressRow;
  readonly receipt: string;
  readonly visibleUntil: number;
  release(): void;
}

/** The caller type seen by functions for HTTP ingress requests. */
export const INGRESS_CALLER_NAMESPACE = "statefun.ingress";
export const INGRESS_CALLER_TYPE = "http";
