import { encodeInvocationBatch, type WireState } from "@statefun-ts/protocol";
import type { InvokeRequest, StateSpecInfo } from "@statefun-ts/runtime";

/**
 * The `ToFunction` body of one batch: the target, one `PersistedValue` for every registered
 * state (its value omitted when it has none), and the messages as invocations in arrival order
 * (without a caller for ingress messages that have none). Written by the protocol's
 * hand-written encoder: the same bytes as protobuf-es, without building message objects.
 *
 * @example
 * const body = encodeRequest(request, stateSpecs.get(request.functionType));
 */
export function encodeRequest(request: InvokeRequest, specs: readonly StateSpecInfo[]): Uint8Array {
  const state = new Array<WireState>(specs.length);
  for (let i = 0; i < specs.length; i++) {
    const name = specs[i]!.name;
    state[i] = { name, value: request.value(name) };
  }
  return encodeInvocationBatch(request.address, state, request.messages);
}
