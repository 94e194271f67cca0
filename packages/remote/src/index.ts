export type { RemoteBinding, RemoteBindingDeps } from "./binding.js";
export { remoteBinding } from "./binding.js";
export type { HttpEndpointSpec } from "./spec.js";
