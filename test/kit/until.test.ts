import { describe, expect, it } from "vitest";
import { eventually, until } from "./until.js";

describe("until", () => {
  it("resolves once the check holds", async () => {
    let calls = 0;
    await until(() => ++calls === 3, "the third call");
    expect(calls).toBe(3);
  });

  it("gives up after its bound, naming what it waited for and why", async () => {
    await expect(until(async () => false, "the moon", { timeoutMs: 20, explain: () => "still night" })).rejects.toThrow(
      /timed out after 20 ms waiting for the moon\nstill night/,
    );
  });
});

describe("eventually", () => {
  it("retries a throwing check until it passes, and rethrows its last error past the bound", async () => {
    let calls = 0;
    await eventually(() => expect(++calls).toBe(2), { intervalMs: 1 });
    await expect(eventually(() => expect(1).toBe(2), { timeoutMs: 20, intervalMs: 1 })).rejects.toThrow(/expected 1 to be 2/);
  });
});
