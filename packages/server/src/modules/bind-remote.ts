import { remoteBinding } from "@statefun-ts/remote";
import type { Binding, Logger, StateSpecRegistry } from "@statefun-ts/runtime";
import type { HttpEndpointSpec } from "./yaml/types.js";

/** A binding of remote functions, holding connections until closed. */
export type RemoteBinding = Binding & { close(): Promise<void> };

/** The one place the server makes remote bindings (StateFun's HTTP request-reply protocol). */
export function bindRemote(spec: HttpEndpointSpec, deps: { specs: StateSpecRegistry; logger?: Logger }): RemoteBinding {
  return remoteBinding(spec, deps);
}
