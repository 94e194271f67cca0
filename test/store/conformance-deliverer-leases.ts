import { describe, expect, it } from "vitest";
import type { Context } from "./conformance.js";

const HOUR = 3_600_000;

/** Deliverer leases: one worker delivers each named stream, failing over with membership (runtime `store/deliverer-leases.ts`). */
export function delivererLeaseTests(ctx: Context): void {
  describe("deliverer leases", () => {
    it("gives a free lease at epoch 1, keeps it for its holder without raising the epoch, and refuses it to others while the holder is live", async () => {
      const { store } = ctx;
      await store.heartbeat("worker-a", HOUR);
      await store.heartbeat("worker-b", HOUR);
      expect(await store.claimDeliverer("egress/x", "worker-a")).toEqual({ owner: "worker-a", epoch: 1 });
      expect(await store.claimDeliverer("egress/x", "worker-a")).toEqual({ owner: "worker-a", epoch: 1 });
      expect(await store.claimDeliverer("egress/x", "worker-b")).toEqual({ owner: "worker-a", epoch: 1 });
      // Leases are per name.
      expect(await store.claimDeliverer("egress/y", "worker-b")).toEqual({ owner: "worker-b", epoch: 1 });
      expect(await store.claimDeliverer("egress/x", "worker-a")).toEqual({ owner: "worker-a", epoch: 1 });
    });

    it("passes to another worker once the holder's membership lapsed or it left, raising the epoch", async () => {
      const { store } = ctx;
      await store.heartbeat("worker-a", HOUR);
      await store.heartbeat("worker-b", HOUR);
      await store.claimDeliverer("egress/x", "worker-a");
      await store.heartbeat("worker-a", 0);
      expect(await store.claimDeliverer("egress/x", "worker-b")).toEqual({ owner: "worker-b", epoch: 2 });
      await store.heartbeat("worker-a", HOUR);
      expect(await store.claimDeliverer("egress/x", "worker-a")).toEqual({ owner: "worker-b", epoch: 2 });
      await store.leave("worker-b");
      expect(await store.claimDeliverer("egress/x", "worker-a")).toEqual({ owner: "worker-a", epoch: 3 });
    });

    it("is always taken from an owner that never heartbeated (a single owner, which does not): a restarted worker gets it at once", async () => {
      const { store } = ctx;
      expect(await store.claimDeliverer("egress/x", "worker-1")).toEqual({ owner: "worker-1", epoch: 1 });
      expect(await store.claimDeliverer("egress/x", "worker-1-restarted")).toEqual({ owner: "worker-1-restarted", epoch: 2 });
    });

    it("releases only for its holder, keeping the epoch; a released lease is taken by anyone", async () => {
      const { store } = ctx;
      await store.heartbeat("worker-a", HOUR);
      await store.heartbeat("worker-b", HOUR);
      await store.claimDeliverer("egress/x", "worker-a");
      await store.releaseDeliverer("egress/x", "worker-b");
      await store.releaseDeliverer("egress/never", "worker-b");
      expect(await store.claimDeliverer("egress/x", "worker-b")).toEqual({ owner: "worker-a", epoch: 1 });
      await store.releaseDeliverer("egress/x", "worker-a");
      expect(await store.claimDeliverer("egress/x", "worker-b")).toEqual({ owner: "worker-b", epoch: 2 });
    });

    it("keeps leases across a reopen", async () => {
      await ctx.store.heartbeat("worker-a", HOUR);
      await ctx.store.claimDeliverer("egress/x", "worker-a");
      const store = await ctx.reopen();
      await store.heartbeat("worker-a", HOUR);
      expect(await store.claimDeliverer("egress/x", "worker-b")).toEqual({ owner: "worker-a", epoch: 1 });
    });

    it("gives a lease to exactly one of several workers claiming it at once", async () => {
      const { store } = ctx;
      const workers = ["worker-a", "worker-b", "worker-c", "worker-d"];
      for (const w of workers) await store.heartbeat(w, HOUR);
      const seen = await Promise.all(workers.map((w) => store.claimDeliverer("egress/race", w)));
      const holders = new Set(seen.map((l) => l.owner));
      expect(holders.size).toBe(1);
      expect(seen.every((l) => l.epoch === 1)).toBe(true);
    });
  });
}
