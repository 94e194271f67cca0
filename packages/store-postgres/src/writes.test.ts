import type { StateWrite } from "@statefun-ts/runtime/spi";
import { describe, expect, it } from "vitest";
import { textArray } from "./arrays.js";
import { collapseState } from "./writes.js";

const write = (type: string, id: string, name: string, value: string | null): StateWrite => ({
  address: { namespace: "ns", type, id },
  keyGroup: 0,
  name,
  value: value === null ? null : { typename: "t/x", value: Buffer.from(value) },
});

describe("collapseState", () => {
  it("keeps the last write of each value, in the order of those last writes", () => {
    const { deletes, upserts } = collapseState([
      write("a", "1", "v", "first"),
      write("a", "2", "v", "other"),
      write("a", "1", "v", "second"),
    ]);
    expect(deletes).toEqual([]);
    expect(upserts[2]).toEqual(textArray(["2", "1"]));
    expect(upserts[5]).toEqual(textArray(["t/x", "t/x"]));
  });

  it("tells apart values of one id with other names or types, and a delete after a write", () => {
    const { deletes, upserts } = collapseState([
      write("a", "1", "v", "x"),
      write("a", "1", "w", "y"),
      write("b", "1", "v", "z"),
      write("a", "1", "v", null),
    ]);
    expect(deletes).toEqual([textArray(["ns"]), textArray(["a"]), textArray(["1"]), textArray(["v"])]);
    expect(upserts.slice(0, 4)).toEqual([textArray(["ns", "ns"]), textArray(["a", "b"]), textArray(["1", "1"]), textArray(["w", "v"])]);
  });
});
