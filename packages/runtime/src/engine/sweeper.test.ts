import { describe, expect, it } from "vitest";
import { ManualClock } from "../clock.js";
import { noMetrics, silentLogger } from "../observe.js";
import type { Store } from "../store/types.js";
import { DEFAULT_SWEEP, Sweeper } from "./sweeper.js";

describe("Sweeper", () => {
  it("stops while it rests between two steps (a stop that cancelled the rest's timeout waited for it forever)", async () => {
    const clock = new ManualClock(0);
    let reclaims = 0;
    // Nothing expired, but free pages left after each step: the round rests, then goes on.
    const store = {
      expiredState: async () => [],
      reclaim: async () => {
        reclaims++;
        return 100;
      },
    } as unknown as Store;
    const sweeper = new Sweeper(
      { store, clock, metrics: noMetrics, logger: silentLogger, owned: () => [0], commit: () => {}, release: () => true },
      DEFAULT_SWEEP,
    );
    sweeper.start();
    clock.advance(DEFAULT_SWEEP.intervalMs);
    // The first step ran and the round rests now (its rest is the only timeout set).
    for (let i = 0; reclaims === 0 || clock.pending === 0; i++) {
      if (i > 100) throw new Error("the round never rested");
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(reclaims).toBe(1);
    await sweeper.stop();
    expect(clock.pending).toBe(0);
    clock.advance(60_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(reclaims).toBe(1);
  });
});
