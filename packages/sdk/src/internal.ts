/**
 * Integrator-only API (runtimes, harnesses, protocol servers). Unstable: may change in any release.
 * @packageDocumentation
 */
export { PENDING_ASKS } from "./asks.js";
export type { StateReader } from "./cells.js";
export { elementName, entryName, keyOfEntry, sortByName, specNameOf } from "./collections.js";
export { InvocationContext } from "./context.js";
export type { DelayedEffect, Effects, EgressRecord, OutgoingMessage } from "./effects.js";
export { emptyEffects } from "./effects.js";
export { ASK_ANSWER, ASK_REQUEST, ASK_TIMEOUT } from "./envelopes.js";
export { DEFAULT_RETRY } from "./function.js";
export { isIngress } from "./ingress.js";
export { message } from "./message.js";
export { moduleFromExports } from "./module.js";
export { isEgressRef } from "./refs.js";
export { errorText } from "./types.js";
