import {
  type Address,
  checkAddress,
  decodeInvocationBatch,
  encodeFromFunction,
  fromWireAddress,
  fromWireValue,
  StatefunError,
  type TypedValue,
} from "@statefun-ts/protocol";
import { type BatchInvocation, runBatch } from "./batch.js";
import { invocationResult } from "./encode.js";
import { type Servable, servedFunctions } from "./functions.js";
import { incompleteContext, missingStates } from "./handshake.js";

/**
 * StateFun's request-reply protocol, host-agnostic: takes the bytes of a `ToFunction`
 * request, returns the bytes of the `FromFunction` response. Rejects on bad bytes or a
 * handler that throws (the host answers 500, and the runtime retries or dead-letters), on a
 * message the function does not accept or whose bytes do not decode (422), and on an unknown
 * function (404): for those two the runtime dead-letters at once.
 *
 * @example
 * const handle: RequestHandler = requestHandler(counter, greeter);
 * const responseBytes = await handle(requestBytes);
 */
export type RequestHandler = (body: Uint8Array) => Promise<Uint8Array>;

const EMPTY = new Uint8Array(0);

/**
 * Serves functions over StateFun's remote protocol, to our runtime or to Apache Flink
 * StateFun 3.x. The target address in each request picks the function, so one endpoint
 * serves them all (`http://host:port/{function.name}` works, as does any other path).
 *
 * @example
 * const handle = requestHandler(statefunModule({ functions: [counter, greeter] }));
 * const fromFunction = await handle(toFunctionBytes);
 */
export function requestHandler(...servables: Servable[]): RequestHandler {
  const functions = servedFunctions(...servables);
  return async (body) => {
    const batch = decodeInvocationBatch(body);
    if (batch === undefined) {
      throw new StatefunError("STATEFUN_BAD_MESSAGE", "the ToFunction request carries no invocation batch");
    }
    const target = checkAddress(fromWireAddress(batch.target) ?? { namespace: "", type: "", id: "" }, "ToFunction target");
    const typename = `${target.namespace}/${target.type}`;
    const fn = functions.get(typename);
    if (fn === undefined) {
      throw new StatefunError(
        "STATEFUN_UNKNOWN_TYPE",
        `no function ${typename} is served here (served: ${[...functions.keys()].sort().join(", ")})`,
      );
    }
    const state = new Map<string, TypedValue | undefined>();
    for (const value of batch.state) state.set(value.stateName, fromWireValue(value.stateValue));
    const missing = missingStates(fn, state);
    if (missing.length > 0) return encodeFromFunction(incompleteContext(missing));

    const invocations: BatchInvocation[] = batch.invocations.map((invocation) => ({
      caller: callerOf(invocation.caller),
      // StateFun always sets a message value; an absent one reads as empty bytes of its typename.
      argument: fromWireValue(invocation.argument) ?? { typename: invocation.argument?.typename ?? "", value: EMPTY },
    }));
    const effects = await runBatch(fn, target, state, invocations);
    return invocationResult(fn, effects);
  };
}

function callerOf(caller: Parameters<typeof fromWireAddress>[0]): Address | undefined {
  const address = fromWireAddress(caller);
  // proto3 cannot tell an absent caller from an empty one; StateFun leaves it unset for ingress messages.
  return address === undefined || (address.namespace === "" && address.type === "") ? undefined : address;
}
