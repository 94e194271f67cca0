/**
 * Integrator-only API (runtimes, harnesses, protocol servers). Unstable: may change in any release.
 * @packageDocumentation
 */
export { InvocationContext } from "./context.js";
export type { DelayedEffect, Effects, EgressRecord, OutgoingMessage } from "./effects.js";
export { emptyEffects } from "./effects.js";
export { DEFAULT_RETRY } from "./function.js";
export { isIngress } from "./ingress.js";
export { message } from "./message.js";
export { moduleFromExports } from "./module.js";
export { isEgressRef } from "./refs.js";
export { errorText } from "./types.js";
