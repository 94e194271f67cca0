import { describe, expect, it } from "vitest";
import { ManualClock } from "../clock.js";
import { noMetrics, silentLogger } from "../observe.js";
import type { ExpiredRow, Store } from "../store/types.js";
import type { CommitUnit } from "./commit-unit.js";
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

  it("paces itself by the store's own time for a store that queues commits, not by the wait behind them", async () => {
    const clock = new ManualClock(0);
    let reads = 0;
    const expired = (n: number): ExpiredRow[] =>
      Array.from({ length: n }, (_, i) => ({ address: { namespace: "t", type: "f", id: `x${i}` }, keyGroup: 0, name: "v" }) as ExpiredRow);
    // The read waits (in real time) behind the commits queued before it; the store reports that its
    // commit of the step took 1 ms of its own time.
    const store = {
      queuesCommits: true,
      expiredState: async () => {
        reads++;
        if (reads === 1) await new Promise((resolve) => setTimeout(resolve, 60));
        return expired(2);
      },
    } as unknown as Store;
    const commit = (u: CommitUnit) => queueMicrotask(() => u.committed?.([], undefined, 1));
    const sweeper = new Sweeper(
      { store, clock, metrics: noMetrics, logger: silentLogger, owned: () => [0], commit, release: () => true },
      { ...DEFAULT_SWEEP, batch: 2 },
    );
    sweeper.start();
    clock.advance(DEFAULT_SWEEP.intervalMs);
    for (let i = 0; clock.pending === 0; i++) {
      if (i > 1_000) throw new Error("the round never rested");
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(reads).toBe(1);
    // Its rest is 9 ms (1 ms at a share of 0.1), not nine times the 60 ms it waited for the read.
    clock.advance(10);
    for (let i = 0; reads < 2; i++) {
      if (i > 1_000) throw new Error("the second step never came");
      await new Promise((resolve) => setImmediate(resolve));
    }
    await sweeper.stop();
  });
});
