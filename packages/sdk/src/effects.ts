import type { Address, TypedValue } from "@statefun-ts/protocol";

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
