import { create, encodeToFunction, reqreply, toWireAddress, toWireValue } from "@statefun-ts/protocol";
import type { InvokeRequest, StateSpecInfo } from "@statefun-ts/runtime";

/**
 * The `ToFunction` body of one batch: the target, one `PersistedValue` for every registered
 * state (its value omitted when it has none), and the messages as invocations in arrival order
 * (without a caller for ingress messages that have none).
 *
 * @example
 * const body = encodeRequest(request, stateSpecs.get(request.functionType));
 */
export function encodeRequest(request: InvokeRequest, specs: readonly StateSpecInfo[]): Uint8Array {
  const state = specs.map((spec) => {
    const value = request.value(spec.name);
    return create(reqreply.ToFunction_PersistedValueSchema, {
      stateName: spec.name,
      stateValue: value === undefined ? undefined : toWireValue(value),
    });
  });
  const invocations = request.messages.map((m) =>
    create(reqreply.ToFunction_InvocationSchema, {
      caller: m.caller === undefined ? undefined : toWireAddress(m.caller),
      argument: toWireValue(m.argument),
    }),
  );
  const batch = create(reqreply.ToFunction_InvocationBatchRequestSchema, { target: toWireAddress(request.address), state, invocations });
  return encodeToFunction(create(reqreply.ToFunctionSchema, { request: { case: "invocation", value: batch } }));
}
