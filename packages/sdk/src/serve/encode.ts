import { encodeInvocationResponse, parseTypeName, type WireDelayed, type WireMutation } from "@statefun-ts/protocol";
import type { DelayedEffect, Effects } from "../effects.js";
import type { StatefulFunction } from "../function.js";
import { wireEgressArgument } from "./egress.js";

/**
 * The `FromFunction` bytes of a batch's merged effects, an `InvocationResponse` in StateFun's
 * wire form: outgoing messages, delayed sends and cancellations in order, egress records, and
 * a mutation for every state written (MODIFY under its declared typename, or DELETE). A state
 * written with its old value still gets a MODIFY: a write refreshes an `AFTER_WRITE` expiry.
 * Written by the protocol's hand-written encoder (the same bytes as protobuf-es).
 *
 * @example
 * const bytes = invocationResult(counter, await runBatch(counter, target, state, invocations));
 */
export function invocationResult(fn: StatefulFunction<any, any>, effects: Effects): Uint8Array {
  const mutations: WireMutation[] = [];
  for (const [name, value] of effects.state) {
    mutations.push({
      name,
      value: value === null ? undefined : { typename: fn.specs.get(name)?.type.typename ?? value.typename, value: value.value },
    });
  }
  return encodeInvocationResponse({
    mutations,
    messages: effects.messages,
    delayed: effects.delayed.map(delayedInvocation),
    egress: effects.egress.map((record) => {
      const { namespace, name } = parseTypeName(record.egress);
      return { namespace, type: name, argument: wireEgressArgument(record) };
    }),
  });
}

function delayedInvocation(effect: DelayedEffect): WireDelayed {
  if (effect.kind === "cancel") return { cancel: true, token: effect.cancellationToken };
  return {
    cancel: false,
    delayMs: effect.delayMs,
    target: effect.target,
    argument: effect.argument,
    token: effect.cancellationToken ?? "",
  };
}
