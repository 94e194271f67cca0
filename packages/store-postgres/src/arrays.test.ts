import { describe, expect, it } from "vitest";
import { textArray } from "./arrays.js";

/** `text[]` in the binary wire format, element by element with `Buffer.from` (the layout `arrays.ts` describes). */
function expected(values: readonly (string | null | undefined)[]): Buffer {
  const head = Buffer.alloc(values.length === 0 ? 12 : 20);
  head.writeInt32BE(values.length === 0 ? 0 : 1, 0);
  head.writeInt32BE(values.some((v) => v == null) ? 1 : 0, 4);
  head.writeInt32BE(25, 8);
  if (values.length > 0) {
    head.writeInt32BE(values.length, 12);
    head.writeInt32BE(1, 16);
  }
  const parts = values.map((v) => {
    const bytes = v == null ? Buffer.alloc(0) : Buffer.from(v, "utf8");
    const length = Buffer.alloc(4);
    length.writeInt32BE(v == null ? -1 : bytes.length);
    return Buffer.concat([length, bytes]);
  });
  return Buffer.concat([head, ...parts]);
}

describe("textArray", () => {
  it("writes ASCII, non-ASCII, long values, empty strings and NULLs in the binary array format", () => {
    const values = [
      "bench",
      "",
      null,
      "counter",
      "12345",
      "é",
      "naïve-id",
      "x".repeat(63),
      "y".repeat(64),
      "z".repeat(65),
      `${"a".repeat(70)}€`,
      undefined,
      "\u007f\u0000",
      "😀",
    ];
    expect(textArray(values)).toEqual(expected(values));
  });

  it("writes an empty array as no dimensions", () => {
    expect(textArray([])).toEqual(expected([]));
  });
});
