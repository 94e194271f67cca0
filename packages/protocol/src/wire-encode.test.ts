import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Address } from "./address.js";
import {
  create,
  decodeFromFunction,
  decodeToFunction,
  encodeFromFunction,
  encodeToFunction,
  reqreply,
  toWireAddress,
  toWireValue,
} from "./index.js";
import type { TypedValue } from "./typed-value.js";
import { encodeInvocationBatch, encodeInvocationResponse, type WireDelayed, type WireInvocationResponse } from "./wire-encode.js";
import { utf8Size } from "./wire-writer.js";

// Any string, lone surrogates and characters past U+FFFF included, often empty (an omitted field).
const text = fc.oneof(fc.constant(""), fc.string({ unit: "binary", maxLength: 12 }), fc.string({ maxLength: 200 }));
const address: fc.Arbitrary<Address> = fc.record({ namespace: text, type: text, id: text });
const value: fc.Arbitrary<TypedValue> = fc.record({ typename: text, value: fc.uint8Array({ maxLength: 300 }) });
const delayed: fc.Arbitrary<WireDelayed> = fc.oneof(
  fc.record({ cancel: fc.constant(true as const), token: text }),
  fc.record({
    cancel: fc.constant(false as const),
    delayMs: fc.oneof(fc.constant(0), fc.maxSafeNat(), fc.integer({ min: -1000, max: -1 })),
    target: address,
    argument: value,
    token: text,
  }),
);
const state = fc.array(fc.record({ name: text, value: fc.option(value, { nil: undefined }) }), { maxLength: 4 });

/** The same batch built and encoded with protobuf-es. */
function slowBatch(
  target: Address,
  states: { name: string; value: TypedValue | undefined }[],
  invocations: { caller?: Address | undefined; argument: TypedValue }[],
) {
  const batch = create(reqreply.ToFunction_InvocationBatchRequestSchema, {
    target: toWireAddress(target),
    state: states.map((s) => ({ stateName: s.name, stateValue: s.value === undefined ? undefined : toWireValue(s.value) })),
    invocations: invocations.map((i) => ({
      caller: i.caller === undefined ? undefined : toWireAddress(i.caller),
      argument: toWireValue(i.argument),
    })),
  });
  return encodeToFunction(create(reqreply.ToFunctionSchema, { request: { case: "invocation", value: batch } }));
}

function slowResponse(r: WireInvocationResponse) {
  const response = create(reqreply.FromFunction_InvocationResponseSchema, {
    stateMutations: r.mutations.map((m) =>
      m.value === undefined
        ? { mutationType: 0, stateName: m.name }
        : { mutationType: 1, stateName: m.name, stateValue: toWireValue(m.value) },
    ),
    outgoingMessages: r.messages.map((m) => ({ target: toWireAddress(m.target), argument: toWireValue(m.argument) })),
    delayedInvocations: r.delayed.map((d) =>
      d.cancel
        ? { isCancellationRequest: true, cancellationToken: d.token }
        : { delayInMs: BigInt(d.delayMs), target: toWireAddress(d.target), argument: toWireValue(d.argument), cancellationToken: d.token },
    ),
    outgoingEgresses: r.egress.map((g) => ({ egressNamespace: g.namespace, egressType: g.type, argument: toWireValue(g.argument) })),
  });
  return encodeFromFunction(create(reqreply.FromFunctionSchema, { response: { case: "invocationResult", value: response } }));
}

describe("hand-written encoders", () => {
  it("utf8Size counts what TextEncoder writes", () => {
    fc.assert(fc.property(fc.string({ unit: "binary" }), (s) => utf8Size(s) === new TextEncoder().encode(s).length));
  });

  it("encodeInvocationBatch writes protobuf-es's bytes of the same ToFunction, which decode back", () => {
    const invocations = fc.array(fc.record({ caller: fc.option(address, { nil: undefined }), argument: value }), { maxLength: 5 });
    fc.assert(
      fc.property(address, state, invocations, (target, states, invs) => {
        const bytes = encodeInvocationBatch(target, states, invs);
        expect(bytes).toEqual(slowBatch(target, states, invs));
        const decoded = decodeToFunction(bytes).request;
        expect(decoded.case === "invocation" && decoded.value.invocations.length).toBe(invs.length);
      }),
      { numRuns: 300 },
    );
  });

  it("encodeInvocationResponse writes protobuf-es's bytes of the same FromFunction, which decode back", () => {
    const response: fc.Arbitrary<WireInvocationResponse> = fc.record({
      mutations: state,
      messages: fc.array(fc.record({ target: address, argument: value }), { maxLength: 4 }),
      delayed: fc.array(delayed, { maxLength: 3 }),
      egress: fc.array(fc.record({ namespace: text, type: text, argument: value }), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(response, (r) => {
        const bytes = encodeInvocationResponse(r);
        expect(bytes).toEqual(slowResponse(r));
        expect(decodeFromFunction(bytes).response.case).toBe("invocationResult");
      }),
      { numRuns: 300 },
    );
  });
});
