import { describe, expect, it } from "vitest";
import type { Context } from "./conformance.js";
import { addr, batch, bytes, everything, ingress, message, range, stateOf, text } from "./helpers.js";

export function durabilityTests(ctx: Context): void {
  describe("durability", () => {
    it("keeps every committed write across close and open", async () => {
      const { fence } = ctx;
      await ctx.store.commit(
        batch(fence, {
          now: 500,
          ingress: [ingress(1, 0, "req-1", { idempotencyKey: "k" })],
          messages: [message(2, 1, { caller: addr("c") }), message(3, 2, { dueAt: 99, cancellationToken: "t" })],
          state: [{ address: addr("a"), keyGroup: 0, name: "s", value: bytes([1, 2, 3]), expiresAt: 1234 }],
          egress: [{ egress: "e", topic: "t", argument: text("out"), createdAt: 5 }],
          replies: [{ requestId: "req-0", argument: text("reply") }],
          deadLetters: [{ message: message(4, 3), error: "boom", attempts: 2, failedAt: 6 }],
        }),
      );
      await ctx.store.commit(batch(fence, { consumed: [2], state: [{ address: addr("a"), keyGroup: 0, name: "gone", value: null }] }));
      const before = {
        ...(await everything(ctx.store, ctx.keyGroups)),
        state: await stateOf(ctx.store, addr("a")),
        egress: await ctx.store.peekEgress("t", 10),
        reply: await ctx.store.getReply("req-0"),
        deadLetters: await ctx.store.listDeadLetters(10),
        stats: await ctx.store.stats(),
      };

      const store = await ctx.reopen();
      expect({
        ...(await everything(store, ctx.keyGroups)),
        state: await stateOf(store, addr("a")),
        egress: await store.peekEgress("t", 10),
        reply: await store.getReply("req-0"),
        deadLetters: await store.listDeadLetters(10),
        stats: await store.stats(),
      }).toEqual(before);
      expect(before.stats).toEqual({ messages: 1, timers: 1, egress: 1, deadLetters: 1 });

      const again = await store.commit(batch(fence, { ingress: [ingress(9, 0, "req-9", { idempotencyKey: "k" })] }));
      expect(again.duplicates).toEqual(new Map([["k", "req-1"]]));
    });

    it("writes nothing from a batch that fails half-way (a duplicate seq violates the primary key)", async () => {
      const { fence } = ctx;
      await ctx.store.commit(batch(fence, { messages: [message(1, 0), message(2, 0)] }));
      const failing = batch(fence, {
        consumed: [1],
        messages: [message(3, 0), ...range(40).map((i) => message(100 + i, 1)), message(2, 0)],
        state: [{ address: addr("a"), keyGroup: 0, name: "s", value: text("v") }],
      });
      await expect(ctx.store.commit(failing)).rejects.toThrow(/UNIQUE|duplicate key|twice/);
      expect((await everything(ctx.store, ctx.keyGroups)).messages.map((m) => m.seq)).toEqual([1, 2]);
      expect(await ctx.store.loadState(addr("a"))).toEqual([]);
      // Nothing of the failed batch lingers (in statement buffers, a connection, a half-open transaction).
      await ctx.store.commit(batch(fence, { consumed: [1] }));
      expect((await everything(ctx.store, ctx.keyGroups)).messages.map((m) => m.seq)).toEqual([2]);
    });

    it("rejects a batch that gives one seq twice, writing nothing of it", async () => {
      const failing = batch(ctx.fence, {
        messages: [message(5, 0), message(5, 1)],
        state: [{ address: addr("a"), keyGroup: 0, name: "s", value: text("v") }],
      });
      await expect(ctx.store.commit(failing)).rejects.toThrow(/UNIQUE|duplicate key|twice/);
      expect((await everything(ctx.store, ctx.keyGroups)).messages).toEqual([]);
      expect(await ctx.store.loadState(addr("a"))).toEqual([]);
    });

    it("keeps leases and epochs across close and open", async () => {
      await ctx.store.acquire("worker-2", [4]);
      const store = await ctx.reopen();
      await store.commit(batch(ctx.fence, { touchedKeyGroups: new Set([0, 1]), messages: [message(1, 0)] }));
      await expect(store.commit(batch(ctx.fence, { touchedKeyGroups: new Set([4]) }))).rejects.toMatchObject({
        code: "STATEFUN_FENCED",
      });
      expect(await store.acquire("worker-1", [0, 4])).toEqual(
        new Map([
          [0, 2],
          [4, 3],
        ]),
      );
    });
  });
}
