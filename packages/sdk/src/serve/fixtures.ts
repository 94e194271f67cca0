import {
  type Address,
  create,
  decodeFromFunction,
  encodeToFunction,
  fromWireAddress,
  fromWireValue,
  reqreply,
  type TypedValue,
  toWireAddress,
  toWireValue,
} from "@statefun-ts/protocol";
import type { DelayedEffect, Effects } from "../effects.js";
import { PLAYGROUND_EGRESS } from "../refs.js";
import { PLAYGROUND_EGRESS_RECORD, playgroundPayload } from "./egress.js";

/**
 * Test support for the remote protocol: hand-built requests, and effects in one comparable
 * shape whether they come from an embedded run or from `FromFunction` bytes.
 */

/**
 * A batch as the runtime sends it: `state` has an entry (maybe without value) for each registered state.
 *
 * @example
 * const batch: BatchRequest = { target: counter.at("a"), state: { count: undefined }, invocations: [{ argument: one }] };
 */
export interface BatchRequest {
  readonly target: Address;
  readonly state: Readonly<Record<string, TypedValue | undefined>>;
  readonly invocations: readonly { readonly caller?: Address; readonly argument: TypedValue }[];
}

/**
 * The `ToFunction` bytes of a batch.
 *
 * @example
 * toFunctionBytes({ target: counter.at("a"), state: { count: undefined }, invocations: [{ argument: int(1) }] });
 */
export function toFunctionBytes(batch: BatchRequest): Uint8Array {
  const message = create(reqreply.ToFunctionSchema, {
    request: {
      case: "invocation",
      value: {
        target: toWireAddress(batch.target),
        state: Object.entries(batch.state).map(([stateName, value]) => ({ stateName, ...(value && { stateValue: toWireValue(value) }) })),
        invocations: batch.invocations.map((i) => ({
          ...(i.caller && { caller: toWireAddress(i.caller) }),
          argument: toWireValue(i.argument),
        })),
      },
    },
  });
  return encodeToFunction(message);
}

/**
 * An egress record as the outside world sees it: a playground topic and its text, or the typed value of another egress.
 *
 * @example
 * const seen: ObservedEgress = { egress: PLAYGROUND_EGRESS, topic: "greetings", payload: "Hello" };
 */
export type ObservedEgress =
  | { readonly egress: string; readonly topic: string; readonly payload: string }
  | { readonly egress: string; readonly argument: TypedValue };

/**
 * Effects in a shape both runs produce.
 *
 * @example
 * expect(observeResponse(bytes)).toEqual(observeEffects(ctx.effects) satisfies Observed);
 */
export interface Observed {
  readonly messages: readonly { readonly target: Address; readonly argument: TypedValue }[];
  readonly delayed: readonly DelayedEffect[];
  readonly egress: readonly ObservedEgress[];
  readonly state: Readonly<Record<string, TypedValue | null>>;
}

/**
 * Effects of an embedded run, observed.
 *
 * @example
 * expect(observeEffects(ctx.effects).state).toEqual({ count: int(1) });
 */
export function observeEffects(effects: Effects): Observed {
  return {
    messages: effects.messages.map((m) => ({ target: m.target, argument: m.argument })),
    delayed: [...effects.delayed],
    egress: effects.egress.map((e) =>
      e.egress === PLAYGROUND_EGRESS
        ? { egress: e.egress, topic: e.topic, payload: playgroundPayload(e.argument) }
        : { egress: e.egress, argument: e.argument },
    ),
    state: Object.fromEntries(effects.state),
  };
}

/**
 * The `FromFunction` bytes of an `invocation_result`, observed (throws on any other response).
 *
 * @example
 * const observed = observeResponse(await requestHandler(counter)(toFunctionBytes(batch)));
 */
export function observeResponse(bytes: Uint8Array): Observed {
  const response = decodeFromFunction(bytes).response;
  if (response.case !== "invocationResult") throw new Error(`expected an invocation result, got ${response.case}`);
  const r = response.value;
  const MutationType = reqreply.FromFunction_PersistedValueMutation_MutationType;
  return {
    messages: r.outgoingMessages.map((m) => ({ target: fromWireAddress(m.target)!, argument: fromWireValue(m.argument)! })),
    delayed: r.delayedInvocations.map((d): DelayedEffect => {
      if (d.isCancellationRequest) return { kind: "cancel", cancellationToken: d.cancellationToken };
      const token = d.cancellationToken === "" ? undefined : d.cancellationToken;
      return {
        kind: "send",
        delayMs: Number(d.delayInMs),
        target: fromWireAddress(d.target)!,
        argument: fromWireValue(d.argument)!,
        cancellationToken: token,
      };
    }),
    egress: r.outgoingEgresses.map((e): ObservedEgress => {
      const egress = `${e.egressNamespace}/${e.egressType}`;
      const argument = fromWireValue(e.argument)!;
      if (egress !== PLAYGROUND_EGRESS) return { egress, argument };
      if (argument.typename !== PLAYGROUND_EGRESS_RECORD) throw new Error(`playground egress record typed ${argument.typename}`);
      const { topic, payload } = JSON.parse(new TextDecoder().decode(argument.value)) as { topic: string; payload: string };
      return { egress, topic, payload };
    }),
    state: Object.fromEntries(
      r.stateMutations.map((m) => [m.stateName, m.mutationType === MutationType.DELETE ? null : fromWireValue(m.stateValue)!]),
    ),
  };
}
