import { create, encodeFromFunction, reqreply, StatefunError } from "@statefun-ts/protocol";
import fc from "fast-check";
import { describe, it } from "vitest";
import { decodeResponse } from "./response.js";

/** Decoding a remote function's answer either succeeds or fails with a StatefunError naming where: never another error. */
function decodesOrFails(body: Uint8Array): void {
  try {
    decodeResponse(body, "application/octet-stream", "py/greeter", [], "py/greeter at X");
  } catch (error) {
    if (!StatefunError.is(error) || !error.message.includes("py/greeter at X")) throw error;
  }
}

describe("remote function responses (fuzzed)", () => {
  it("refuses arbitrary bytes cleanly", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), decodesOrFails), { numRuns: 500 });
  });

  it("refuses FromFunction messages with arbitrary fields cleanly", () => {
    const typedValue = fc.record({
      typename: fc.string({ maxLength: 40 }),
      hasValue: fc.boolean(),
      value: fc.uint8Array({ maxLength: 20 }),
    });
    const address = fc.record({
      namespace: fc.string({ maxLength: 10 }),
      type: fc.string({ maxLength: 10 }),
      id: fc.string({ maxLength: 10 }),
    });
    const response = fc.record({
      outgoingMessages: fc.array(fc.record({ target: address, argument: typedValue }), { maxLength: 3 }),
      outgoingEgresses: fc.array(
        fc.record({ egressNamespace: fc.string({ maxLength: 10 }), egressType: fc.string({ maxLength: 10 }), argument: typedValue }),
        {
          maxLength: 3,
        },
      ),
      stateMutations: fc.array(
        fc.record({ stateName: fc.string({ maxLength: 10 }), mutationType: fc.integer({ min: 0, max: 3 }), stateValue: typedValue }),
        { maxLength: 3 },
      ),
      delayedInvocations: fc.array(
        fc.record({
          target: address,
          argument: typedValue,
          delayInMs: fc.bigInt({ min: -10n, max: 1n << 62n }),
          cancellationToken: fc.string({ maxLength: 5 }),
        }),
        { maxLength: 2 },
      ),
    });
    fc.assert(
      fc.property(response, (r) => {
        const from = create(reqreply.FromFunctionSchema, {
          response: { case: "invocationResult", value: r as unknown as reqreply.FromFunction_InvocationResponse },
        });
        decodesOrFails(encodeFromFunction(from));
      }),
      { numRuns: 300 },
    );
  });
});
