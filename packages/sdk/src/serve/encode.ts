import { create, parseTypeName, reqreply, toWireAddress, toWireValue } from "@statefun-ts/protocol";
import type { DelayedEffect, Effects } from "../effects.js";
import type { StatefulFunction } from "../function.js";
import { wireEgressArgument } from "./egress.js";

const MutationType = reqreply.FromFunction_PersistedValueMutation_MutationType;

/**
 * The `InvocationResponse` of a batch's merged effects, in StateFun's wire form: outgoing
 * messages, delayed sends and cancellations in order, egress records, and a mutation for
 * every state written (MODIFY under its declared typename, or DELETE). A state written with
 * its old value still gets a MODIFY: a write refreshes an `AFTER_WRITE` expiry.
 *
 * @example
 * encodeFromFunction(invocationResult(counter, await runBatch(counter, target, state, invocations)));
 */
export function invocationResult(fn: StatefulFunction<any, any>, effects: Effects): reqreply.FromFunction {
  const response = create(reqreply.FromFunction_InvocationResponseSchema, {
    outgoingMessages: effects.messages.map((m) => ({ target: toWireAddress(m.target), argument: toWireValue(m.argument) })),
    delayedInvocations: effects.delayed.map(delayedInvocation),
    outgoingEgresses: effects.egress.map((record) => {
      const { namespace, name } = parseTypeName(record.egress);
      return { egressNamespace: namespace, egressType: name, argument: toWireValue(wireEgressArgument(record)) };
    }),
    stateMutations: [...effects.state].map(([stateName, value]) =>
      value === null
        ? { mutationType: MutationType.DELETE, stateName }
        : {
            mutationType: MutationType.MODIFY,
            stateName,
            stateValue: toWireValue({ typename: fn.specs.get(stateName)?.type.typename ?? value.typename, value: value.value }),
          },
    ),
  });
  return create(reqreply.FromFunctionSchema, { response: { case: "invocationResult", value: response } });
}

function delayedInvocation(effect: DelayedEffect): reqreply.FromFunction_DelayedInvocation {
  if (effect.kind === "cancel") {
    return create(reqreply.FromFunction_DelayedInvocationSchema, {
      isCancellationRequest: true,
      cancellationToken: effect.cancellationToken,
    });
  }
  return create(reqreply.FromFunction_DelayedInvocationSchema, {
    delayInMs: BigInt(effect.delayMs),
    target: toWireAddress(effect.target),
    argument: toWireValue(effect.argument),
    cancellationToken: effect.cancellationToken ?? "",
  });
}
