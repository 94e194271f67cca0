import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { create, decodeFromFunction, decodeToFunction, encodeFromFunction, encodeToFunction, reqreply } from "./index.js";
import { decodeFromFunctionFields, decodeInvocationBatch } from "./wire-decode.js";

const text = fc.oneof(fc.constant(""), fc.string({ unit: "binary", maxLength: 12 }), fc.string({ maxLength: 60 }));
const address = fc.option(fc.record({ namespace: text, type: text, id: text }), { nil: undefined });
const typedValue = fc.option(fc.record({ typename: text, hasValue: fc.boolean(), value: fc.uint8Array({ maxLength: 40 }) }), {
  nil: undefined,
});

/** protobuf-es's message as the plain fields the hand-written decoders give ($typeName dropped, int64 as a number). */
function plain(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).flatMap(([k, v]) => (k === "$typeName" ? [] : [[k, plain(v)]])));
  }
  return value;
}

describe("hand-written decoders", () => {
  it("decodeInvocationBatch reads what protobuf-es reads", () => {
    const batch = fc.record({
      target: address,
      state: fc.array(fc.record({ stateName: text, stateValue: typedValue }), { maxLength: 4 }),
      invocations: fc.array(fc.record({ caller: address, argument: typedValue }), { maxLength: 5 }),
    });
    fc.assert(
      fc.property(fc.option(batch, { nil: undefined }), (b) => {
        const bytes = encodeToFunction(
          create(reqreply.ToFunctionSchema, b === undefined ? {} : { request: { case: "invocation", value: b as never } }),
        );
        const slow = decodeToFunction(bytes).request;
        expect(decodeInvocationBatch(bytes)).toEqual(slow.case === "invocation" ? plain(slow.value) : undefined);
      }),
      { numRuns: 300 },
    );
  });

  it("decodeFromFunctionFields reads what protobuf-es reads", () => {
    const response = fc.record({
      stateMutations: fc.array(fc.record({ mutationType: fc.integer({ min: -2, max: 3 }), stateName: text, stateValue: typedValue }), {
        maxLength: 3,
      }),
      outgoingMessages: fc.array(fc.record({ target: address, argument: typedValue }), { maxLength: 3 }),
      delayedInvocations: fc.array(
        fc.record({
          isCancellationRequest: fc.boolean(),
          cancellationToken: text,
          delayInMs: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
          target: address,
          argument: typedValue,
        }),
        { maxLength: 3 },
      ),
      outgoingEgresses: fc.array(fc.record({ egressNamespace: text, egressType: text, argument: typedValue }), { maxLength: 3 }),
    });
    const missing = fc.record({
      missingValues: fc.array(fc.record({ stateName: text, typeTypename: text }), { maxLength: 2 }),
    });
    const from = fc.oneof(
      response.map((value) => ({ case: "invocationResult" as const, value })),
      missing.map((value) => ({ case: "incompleteInvocationContext" as const, value })),
      fc.constant(undefined),
    );
    fc.assert(
      fc.property(from, (r) => {
        const bytes = encodeFromFunction(create(reqreply.FromFunctionSchema, r === undefined ? {} : { response: r as never }));
        const slow = decodeFromFunction(bytes).response;
        const fast = decodeFromFunctionFields(bytes).response;
        expect(fast.case).toBe(slow.case);
        expect(plain(fast.value)).toEqual(plain(slow.value));
      }),
      { numRuns: 300 },
    );
  });

  it("take arbitrary bytes without anything but an Error", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        for (const decode of [decodeFromFunctionFields, decodeInvocationBatch]) {
          try {
            decode(bytes);
          } catch (error) {
            expect(error).toBeInstanceOf(Error);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("give values as copies, plain Uint8Arrays even from a Buffer, that keep no view of the message", () => {
    const from = create(reqreply.FromFunctionSchema, {
      response: {
        case: "invocationResult",
        value: {
          outgoingMessages: [
            { target: { namespace: "a", type: "b", id: "c" }, argument: { typename: "t/x", hasValue: true, value: Uint8Array.of(7, 8) } },
          ],
        },
      },
    });
    const body = Buffer.from(encodeFromFunction(from));
    const { response } = decodeFromFunctionFields(body);
    const value = response.case === "invocationResult" ? response.value.outgoingMessages[0]?.argument?.value : undefined;
    expect(value?.constructor).toBe(Uint8Array);
    expect(value?.buffer).not.toBe(body.buffer);
    expect(value).toEqual(Uint8Array.of(7, 8));
  });

  it("refuse a nested field running past its message, and a length past the end", () => {
    // ToFunction { invocation (len 2) { target (len 3) { namespace "a" } } }: the target claims more than its parent holds.
    expect(() => decodeInvocationBatch(Uint8Array.of(0xa2, 0x06, 0x02, 0x0a, 0x03, 0x0a, 0x01, 0x61))).toThrow(
      /runs past the end of its message/,
    );
    expect(() => decodeFromFunctionFields(Uint8Array.of(0xa2, 0x06, 0x7f))).toThrow(RangeError);
  });
});
