import { describe, expect, it } from "vitest";
import { assignment } from "./assignment.js";

describe("assignment", () => {
  it("splits key groups into contiguous ranges that differ by at most one and cover each key group once", () => {
    for (const [k, n] of [
      [128, 3],
      [8, 3],
      [5, 5],
      [3, 5],
      [1, 1],
    ] as const) {
      const members = Array.from({ length: n }, (_, i) => `w${i}`);
      const parts = members.map((m) => [...assignment(members, k, m)]);
      expect(parts.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: k }, (_, i) => i));
      const sizes = parts.map((p) => p.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
    expect([...assignment(["a", "b", "c"], 8, "b")]).toEqual([3, 4, 5]);
  });

  it("gives nothing to a worker that is not a live member", () => {
    expect(assignment(["a"], 8, "z").size).toBe(0);
  });
});
