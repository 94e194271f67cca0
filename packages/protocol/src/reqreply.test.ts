import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  decodeFromFunction,
  decodeToFunction,
  encodeFromFunction,
  encodeToFunction,
  fromWireValue,
  reqreply,
  toWireValue,
} from "./reqreply.js";

describe("request-reply messages", () => {
  it("round-trip a ToFunction batch with state and invocations", () => {
    const message = create(reqreply.ToFunctionSchema, {
      request: {
        case: "invocation",
        value: {
          target: { namespace: "example", type: "greeter", id: "bob" },
          state: [
            { stateName: "seen", stateValue: toWireValue({ typename: "io.statefun.types/int", value: Uint8Array.of(13, 1, 0, 0, 0) }) },
            { stateName: "empty" },
          ],
          invocations: [{ argument: toWireValue({ typename: "example/GreetRequest", value: new TextEncoder().encode('{"name":"bob"}') }) }],
        },
      },
    });
    const decoded = decodeToFunction(encodeToFunction(message));
    expect(decoded.request.case).toBe("invocation");
    const batch = decoded.request.value!;
    expect(batch.target?.id).toBe("bob");
    expect(fromWireValue(batch.state[0]?.stateValue)?.value).toEqual(Uint8Array.of(13, 1, 0, 0, 0));
    expect(fromWireValue(batch.state[1]?.stateValue)).toBeUndefined();
    expect(batch.invocations[0]?.caller).toBeUndefined();
  });

  it("uses StateFun's field numbers (oneof request = 100, response = 100/101)", () => {
    const to = encodeToFunction(create(reqreply.ToFunctionSchema, { request: { case: "invocation", value: {} } }));
    expect(Buffer.from(to).toString("hex")).toBe("a20600"); // field 100, length-delimited, empty
    const incomplete = encodeFromFunction(
      create(reqreply.FromFunctionSchema, {
        response: { case: "incompleteInvocationContext", value: { missingValues: [{ stateName: "s" }] } },
      }),
    );
    expect(Buffer.from(incomplete).toString("hex")).toBe("aa0605" + "0a03" + "0a0173"); // field 101 { missing_values { state_name: "s" } }
  });

  it("rejects garbage with a clear error", () => {
    expect(() => decodeFromFunction(Uint8Array.of(0xff, 0xff, 0xff))).toThrow(/invalid FromFunction bytes/);
  });
});
