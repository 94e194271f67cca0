import { describe, expect, it } from "vitest";
import { typedValueFromJson } from "./encode.js";
import { HttpError } from "./errors.js";

/** `[[[…]]]` nested `depth` levels, as `JSON.parse` builds it from a request body. */
const nested = (depth: number): unknown => JSON.parse(`${"[".repeat(depth)}${"]".repeat(depth)}`);

function refusal(json: unknown): HttpError {
  try {
    typedValueFromJson(json, "state example/person/a/visits");
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error("accepted");
}

describe("typedValueFromJson", () => {
  it("answers 400 for a value nested too deep to write back as JSON (issue 12: it overflowed the stack, a 500)", () => {
    for (const typename of ["example/GreetRequest", "io.statefun.types/int"]) {
      const error = refusal({ typename, value: nested(100_000) });
      expect([error.status, error.code]).toEqual([400, "STATEFUN_BAD_REQUEST"]);
      expect(error.message).toMatch(/^state example\/person\/a\/visits: "value" /);
    }
  });

  it("takes JSON values and built-in types as before", () => {
    expect(new TextDecoder().decode(typedValueFromJson({ typename: "example/GreetRequest", value: { name: "a" } }, "here").value)).toBe(
      '{"name":"a"}',
    );
    expect(refusal({ typename: "io.statefun.types/int", value: "x" }).message).toBe(
      'here: "x" is not a io.statefun.types/int'.replace("here", "state example/person/a/visits"),
    );
  });
});
