// Protocol-level facts, defined in @statefun-ts/protocol; re-exported here so the SDK's API does not change.
export type { DelayedEffect, Effects, EgressRecord, OutgoingMessage } from "@statefun-ts/protocol";
export { emptyEffects } from "@statefun-ts/protocol";
