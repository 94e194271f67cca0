import { Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { HistogramByLabel } from "./metrics-by-type.js";

const buckets = [0.001, 0.01, 0.1, 1];
const observations: [string, number][] = [
  ["a/x", 0.0005],
  ["a/x", 0.001],
  ["b/y", 0.05],
  ["a/x", 3],
  ["b/y", 0.1],
  ["a/x", 0.2],
];

describe("HistogramByLabel", () => {
  it("writes the text prom-client's own histogram writes for the same observations", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const kept = new HistogramByLabel({ name: "h_seconds", help: "help", labelName: "function_type", buckets, registers: [ours] });
    const reference = new Histogram({ name: "h_seconds", help: "help", labelNames: ["function_type"], buckets, registers: [theirs] });
    for (const [type, value] of observations) {
      kept.observe(type, value);
      reference.observe({ function_type: type }, value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it("writes an unlabelled histogram as prom-client does, at zero before any observation", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const kept = new HistogramByLabel({ name: "u_seconds", help: "help", buckets, registers: [ours] });
    const reference = new Histogram({ name: "u_seconds", help: "help", buckets, registers: [theirs] });
    expect(await ours.metrics()).toBe(await theirs.metrics());
    for (const [, value] of observations) {
      kept.child("").observe(value);
      reference.observe(value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it("keeps one child per label value: an observation finds it, it does not build a label set", () => {
    const kept = new HistogramByLabel({ name: "c_seconds", help: "help", labelName: "function_type", buckets, registers: [] });
    const child = kept.child("a/x");
    kept.observe("a/x", 0.5);
    expect(kept.child("a/x")).toBe(child);
    expect(child.count).toBe(1);
    expect([...child.counts]).toEqual([0, 0, 0, 1, 0]);
  });
});
