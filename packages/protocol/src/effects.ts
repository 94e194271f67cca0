import type { Address } from "./address.js";
import type { TypedValue } from "./typed-value.js";

/** A message sent by an invocation, delivered once its invocation commits. */
export interface OutgoingMessage {
  readonly target: Address;
  readonly argument: TypedValue;
}

/** A delayed send (optionally cancellable by token) or the cancellation of one, in the order issued. */
export type DelayedEffect =
  | {
      readonly kind: "send";
      readonly delayMs: number;
      readonly target: Address;
      readonly argument: TypedValue;
      readonly cancellationToken?: string | undefined;
    }
  | { readonly kind: "cancel"; readonly cancellationToken: string };

/** A record for an egress topic. */
export interface EgressRecord {
  readonly egress: string;
  readonly topic: string;
  readonly argument: TypedValue;
}

/**
 * Everything one invocation did: applied all together, exactly once, when it commits.
 * `state` maps a state name to its new value, or `null` for a deletion.
 */
export interface Effects {
  readonly messages: OutgoingMessage[];
  readonly delayed: DelayedEffect[];
  readonly egress: EgressRecord[];
  readonly state: Map<string, TypedValue | null>;
}

export function emptyEffects(): Effects {
  return { messages: [], delayed: [], egress: [], state: new Map() };
}

/** When a state value expires: never, after its last write, or after the instance's last invocation. */
export type Expiration =
  | { readonly mode: "none" }
  | { readonly mode: "after-write"; readonly millis: number }
  | { readonly mode: "after-call"; readonly millis: number };

/** How a failing invocation is retried before its message goes to the dead-letter store. */
export interface RetryPolicy {
  /** Attempts in all, the first included (default 5). */
  readonly maxAttempts: number;
  /** Backoff before the second attempt, doubled after each failure (default 100 ms). */
  readonly initialBackoffMs: number;
  /** Largest backoff (default 5 s). */
  readonly maxBackoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, initialBackoffMs: 100, maxBackoffMs: 5000 };
