import { describe, expect, it, vi } from "vitest";
import { ReplyWaiters } from "./replies.js";

const reply = (n: number) => ({ typename: "t/int", value: new Uint8Array([n]) });

describe("ReplyWaiters", () => {
  it("answers a reply that came before the wait at once, with no timer left behind", async () => {
    vi.useFakeTimers();
    try {
      const waiters = new ReplyWaiters();
      const waiter = waiters.register("r");
      waiters.resolve("r", reply(1));
      expect(waiters.has("r")).toBe(false);
      await expect(waiter.wait(5000)).resolves.toEqual(reply(1));
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("wakes every waiter of a request id, and only those", async () => {
    const waiters = new ReplyWaiters();
    const first = waiters.register("r").wait(5000);
    const second = waiters.register("r").wait(5000);
    const other = waiters.register("s");
    waiters.resolve("r", reply(2));
    await expect(first).resolves.toEqual(reply(2));
    await expect(second).resolves.toEqual(reply(2));
    expect(waiters.ids()).toEqual(["s"]);
    other.cancel();
    expect(waiters.ids()).toEqual([]);
  });

  it("answers undefined after the timeout, and forgets the waiter then", async () => {
    vi.useFakeTimers();
    try {
      const waiters = new ReplyWaiters();
      const kept = waiters.register("r");
      const waiting = waiters.register("r").wait(100);
      vi.advanceTimersByTime(100);
      await expect(waiting).resolves.toBeUndefined();
      expect(waiters.has("r")).toBe(true);
      waiters.resolve("r", reply(3));
      await expect(kept.wait(100)).resolves.toEqual(reply(3));
    } finally {
      vi.useRealTimers();
    }
  });

  it("answers undefined to a cancelled waiter, even one already waiting", async () => {
    const waiters = new ReplyWaiters();
    const waiter = waiters.register("r");
    const waiting = waiter.wait(5000);
    waiter.cancel();
    await expect(waiting).resolves.toBeUndefined();
    expect(waiters.has("r")).toBe(false);
    waiters.resolve("r", reply(4));
    await expect(waiter.wait(5000)).resolves.toBeUndefined();
  });
});
