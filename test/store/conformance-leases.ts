import { StatefunError } from "@statefun-ts/protocol";
import { describe, expect, it } from "vitest";
import type { Context } from "./conformance.js";
import { addr, batch, bytes, everything, ingress, message, range, stateOf, text } from "./helpers.js";

export function leaseTests(ctx: Context): void {
  describe("open and key groups", () => {
    it("reports the key groups it was created with", async () => {
      const other = await ctx.makeStore({ keyGroups: 5 });
      try {
        expect((await other.store.open()).keyGroups).toBe(5);
      } finally {
        await other.cleanup();
      }
    });

    it("keeps its key groups forever, whatever a later open asks for", async () => {
      expect(ctx.info.keyGroups).toBe(ctx.keyGroups);
      await ctx.reopen({ keyGroups: ctx.keyGroups * 4 });
      expect(ctx.info.keyGroups).toBe(ctx.keyGroups);
      await ctx.reopen({ keyGroups: 3 });
      expect(ctx.info.keyGroups).toBe(ctx.keyGroups);
    });
  });

  describe("leases", () => {
    it("starts epochs at 1 and raises them on every acquire, whoever acquires", async () => {
      const { store } = ctx;
      expect([...ctx.fence.epochs]).toEqual(range(ctx.keyGroups).map((kg) => [kg, 1]));
      expect(await store.acquire("worker-1", [2, 3])).toEqual(
        new Map([
          [2, 2],
          [3, 2],
        ]),
      );
      expect(await store.acquire("worker-2", [3])).toEqual(new Map([[3, 3]]));
      expect(await store.acquire("worker-2", [])).toEqual(new Map());
    });

    it("commits with the current fence", async () => {
      await ctx.store.commit(batch(ctx.fence, { messages: [message(1, 0)] }));
      expect((await everything(ctx.store, ctx.keyGroups)).messages).toHaveLength(1);
    });

    it("fences a commit once another owner acquired a touched key group, naming it", async () => {
      await ctx.store.acquire("worker-2", [5]);
      const error = await ctx.store.commit(batch(ctx.fence, { messages: [message(1, 5)] })).catch((e: unknown) => e);
      expect(StatefunError.is(error)).toBe(true);
      expect((error as StatefunError).code).toBe("STATEFUN_FENCED");
      expect((error as StatefunError).message).toMatch(/key group 5\b/);
    });

    it("fences a stale epoch of the same owner and a key group never acquired", async () => {
      await ctx.store.acquire("worker-1", [1]);
      await expect(ctx.store.commit(batch(ctx.fence, { touchedKeyGroups: new Set([1]) }))).rejects.toMatchObject({
        code: "STATEFUN_FENCED",
      });
      const unleased = { owner: "worker-1", epochs: new Map([[ctx.keyGroups + 1, 1]]) };
      await expect(ctx.store.commit(batch(unleased))).rejects.toMatchObject({ code: "STATEFUN_FENCED" });
    });

    it("checks only the touched key groups", async () => {
      await ctx.store.acquire("worker-2", [7]);
      await ctx.store.commit(batch(ctx.fence, { touchedKeyGroups: new Set([0, 1]), messages: [message(1, 0)] }));
      expect((await everything(ctx.store, ctx.keyGroups)).messages).toHaveLength(1);
    });

    it("writes nothing from a fenced batch, even its valid parts", async () => {
      const { store, fence } = ctx;
      await store.commit(
        batch(fence, {
          messages: [message(1, 0), message(2, 1, { dueAt: 50, cancellationToken: "t" })],
          state: [{ address: addr("a"), keyGroup: 0, name: "s", value: text("kept") }],
          deadLetters: [{ message: message(3, 0), error: "boom", attempts: 3, failedAt: 7 }],
        }),
      );
      const before = { ...(await everything(store, ctx.keyGroups)), stats: await store.stats() };
      const [deadLetter] = await store.listDeadLetters(10);
      await store.acquire("worker-2", [6]);
      const fenced = batch(fence, {
        ingress: [ingress(10, 0, "r1", { idempotencyKey: "k1" })],
        consumed: [1],
        cancelTokens: ["t"],
        messages: [message(11, 2)],
        state: [
          { address: addr("a"), keyGroup: 0, name: "s", value: null },
          { address: addr("b"), keyGroup: 0, name: "s", value: text("new") },
        ],
        egress: [{ egress: "e", topic: "t", argument: bytes([1]), createdAt: 1 }],
        replies: [{ requestId: "r0", argument: text("reply") }],
        deadLetters: [{ message: message(12, 0), error: "x", attempts: 1, failedAt: 1 }],
        replayed: [deadLetter!.id],
      });
      await expect(store.commit(fenced)).rejects.toMatchObject({ code: "STATEFUN_FENCED" });
      expect({ ...(await everything(store, ctx.keyGroups)), stats: await store.stats() }).toEqual(before);
      expect(await stateOf(store, addr("a"))).toEqual([{ name: "s", value: text("kept") }]);
      expect(await stateOf(store, addr("b"))).toEqual([]);
      expect(await store.getReply("r0")).toBeUndefined();
      expect(await store.peekEgress("t", 10)).toEqual([]);
      // The idempotency key was not recorded: the same key is new in the next valid commit.
      const result = await store.commit(
        batch(fence, {
          touchedKeyGroups: new Set([0]),
          ingress: [ingress(13, 0, "r2", { idempotencyKey: "k1" })],
        }),
      );
      expect(result.duplicates.size).toBe(0);
    });
  });

  describe("allocateSeqs", () => {
    it("hands out consecutive ranges, each above the last", async () => {
      const a = await ctx.store.allocateSeqs(3);
      const b = await ctx.store.allocateSeqs(1);
      const c = await ctx.store.allocateSeqs(100);
      expect(a).toBeGreaterThan(0);
      expect(b).toBeGreaterThanOrEqual(a + 3);
      expect(c).toBeGreaterThanOrEqual(b + 1);
    });

    it("stays above every stored message and dead letter after a reopen", async () => {
      const first = await ctx.store.allocateSeqs(10);
      await ctx.store.commit(
        batch(ctx.fence, {
          messages: [message(first + 2, 0), message(first + 4, 1, { dueAt: 10 })],
          deadLetters: [{ message: message(first + 9, 0), error: "e", attempts: 1, failedAt: 1 }],
        }),
      );
      const store = await ctx.reopen();
      expect(await store.allocateSeqs(1)).toBeGreaterThan(first + 9);
    });
  });
}
