import { BuiltinTypeNames } from "@statefun-ts/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonTypedValue, MAX_RENDERED_BYTES } from "./decode.js";

const typename = fc.oneof(
  fc.constantFrom(...Object.values(BuiltinTypeNames), "example/Json", "type.googleapis.com/x.Y"),
  fc.string({ maxLength: 20 }),
);
const nested = fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.constantFrom("[", '{"a":')).map(([depth, open]) => {
  const close = open === "[" ? "]" : "}";
  return new TextEncoder().encode(open.repeat(depth) + (open === "[" ? "" : "1") + close.repeat(depth));
});

describe("stored values rendered for display (fuzzed)", () => {
  it("always give a value JSON.stringify can write, at most 64 KiB of it", () => {
    fc.assert(
      fc.property(typename, fc.oneof(fc.uint8Array({ maxLength: 300 }), nested), (name, bytes) => {
        const shown = jsonTypedValue({ typename: name, value: bytes });
        const text = JSON.stringify(shown);
        expect(text.length).toBeLessThan(MAX_RENDERED_BYTES * 2 + 1000);
      }),
      { numRuns: 300 },
    );
  });
});
