import { describe, expect, it } from "vitest";
import { ManualClock, OffsetClock } from "./clock.js";

describe("ManualClock", () => {
  it("stands still until advanced, then runs what fell due in due order, at its due time", () => {
    const clock = new ManualClock(1000);
    const ran: string[] = [];
    clock.setTimeout(() => ran.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => ran.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => ran.push(`c@${clock.now()}`), 50);
    expect(clock.now()).toBe(1000);
    clock.advance(30);
    expect(ran).toEqual(["a@1010", "b@1020"]);
    expect(clock.now()).toBe(1030);
    expect(clock.pending).toBe(1);
    clock.advance(20);
    expect(ran).toEqual(["a@1010", "b@1020", "c@1050"]);
  });

  it("runs timeouts set by a timeout when they fall due within the same advance, and never a cancelled one", () => {
    const clock = new ManualClock(0);
    const ran: number[] = [];
    const cancelled = clock.setTimeout(() => ran.push(-1), 5);
    clock.setTimeout(() => {
      ran.push(clock.now());
      clock.setTimeout(() => ran.push(clock.now()), 10);
      clock.setTimeout(() => ran.push(clock.now()), 100);
    }, 10);
    cancelled.cancel();
    clock.advance(50);
    expect(ran).toEqual([10, 20]);
    expect(clock.pending).toBe(1);
  });

  it("runs a zero timeout by itself, soon, without an advance", async () => {
    const clock = new ManualClock(0);
    const ran = new Promise<number>((resolve) => clock.setTimeout(() => resolve(clock.now()), 0));
    expect(await ran).toBe(0);
    const never = clock.setTimeout(() => expect.unreachable("a cancelled zero timeout ran"), 0);
    never.cancel();
    await new Promise((resolve) => setImmediate(resolve));
  });
});

describe("OffsetClock", () => {
  it("reads real time moved forward by advance, and runs real timers", async () => {
    const clock = new OffsetClock();
    const before = Date.now();
    clock.advance(60_000);
    expect(clock.now()).toBeGreaterThanOrEqual(before + 60_000);
    await new Promise<void>((resolve) => clock.setTimeout(resolve, 1));
  });
});
