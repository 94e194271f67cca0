import { describe, expect, it } from "vitest";
import type { Context } from "./conformance.js";
import { addr, batch, bytes, everything, ingress, message, range, seqs, text } from "./helpers.js";

export function messageTests(ctx: Context): void {
  describe("messages", () => {
    it("round-trips every field, leaving absent ones absent", async () => {
      const full = message(1, 3, {
        target: addr("ünï/cödé id", "fn", "com.example.deep.ns"),
        caller: addr("caller-1", "other", "io.caller"),
        argument: bytes(range(256)),
      });
      const bare = message(2, 0, { argument: { typename: "test.types/empty", value: new Uint8Array(0) } });
      const delayed = message(3, 7, { dueAt: 1_700_000_000_123, cancellationToken: "token-ü", caller: addr("c") });
      const plainDelayed = message(4, 7, { dueAt: 5 });
      await ctx.store.commit(batch(ctx.fence, { messages: [full, bare, delayed, plainDelayed] }));

      const { messages, timers } = await everything(ctx.store, ctx.keyGroups);
      expect(messages).toEqual([full, bare]);
      expect(timers).toEqual([plainDelayed, delayed]);
      for (const m of [...messages, ...timers]) expect(m.argument.value.constructor).toBe(Uint8Array);
      const [, loadedBare] = messages;
      expect(loadedBare?.caller).toBeUndefined();
      expect(loadedBare?.dueAt).toBeUndefined();
      expect(loadedBare?.cancellationToken).toBeUndefined();
      expect(timers[0]?.cancellationToken).toBeUndefined();
    });

    it("loads immediate messages in seq order, by key group, after a cursor, up to a limit", async () => {
      const kgs = [3, 0, 5, 3, 1, 0, 7, 5];
      const msgs = kgs.map((kg, i) => message(20 - i * 2, kg));
      await ctx.store.commit(batch(ctx.fence, { messages: [...msgs, message(100, 3, { dueAt: 1 })] }));
      const all = range(ctx.keyGroups);
      const sorted = [...msgs].sort((a, b) => a.seq - b.seq);
      expect(await ctx.store.loadMessages(all, 0, 100)).toEqual(sorted);
      expect(seqs(await ctx.store.loadMessages(all, 12, 100))).toEqual([14, 16, 18, 20]);
      expect(seqs(await ctx.store.loadMessages(all, 0, 3))).toEqual([6, 8, 10]);
      expect(seqs(await ctx.store.loadMessages([3, 5], 0, 100))).toEqual([6, 14, 16, 20]);
      expect(seqs(await ctx.store.loadMessages([5, 3, 5], 6, 2))).toEqual([14, 16]);
      expect(seqs(await ctx.store.loadMessages([2, 4, 6], 0, 100))).toEqual([]);
      expect(await ctx.store.loadMessages([], 0, 100)).toEqual([]);
    });

    it("loads timers by (dueAt, seq), strictly after the cursor, due by `until`, by key group", async () => {
      const t = (seq: number, kg: number, dueAt: number) => message(seq, kg, { dueAt });
      const timers = [t(1, 0, 300), t(2, 1, 100), t(3, 2, 200), t(4, 0, 100), t(5, 3, 200), t(6, 1, 400)];
      await ctx.store.commit(batch(ctx.fence, { messages: [...timers, message(7, 0)] }));
      const all = range(ctx.keyGroups);
      const load = async (kgs: number[], after: { dueAt: number; seq: number } | undefined, until: number, limit = 100) =>
        seqs(await ctx.store.loadTimers(kgs, after, until, limit));
      expect(await load(all, undefined, 1_000)).toEqual([2, 4, 3, 5, 1, 6]);
      expect(await load(all, undefined, 200)).toEqual([2, 4, 3, 5]);
      expect(await load(all, undefined, 99)).toEqual([]);
      expect(await load(all, { dueAt: 100, seq: 2 }, 1_000)).toEqual([4, 3, 5, 1, 6]);
      expect(await load(all, { dueAt: 100, seq: 4 }, 1_000)).toEqual([3, 5, 1, 6]);
      expect(await load(all, { dueAt: 200, seq: 4 }, 1_000)).toEqual([5, 1, 6]);
      expect(await load(all, { dueAt: 150, seq: 0 }, 300)).toEqual([3, 5, 1]);
      expect(await load(all, undefined, 1_000, 2)).toEqual([2, 4]);
      expect(await load([0, 3], undefined, 1_000)).toEqual([4, 5, 1]);
      expect(await load([1], { dueAt: 100, seq: 2 }, 1_000, 1)).toEqual([6]);
      expect(await load([], undefined, 1_000)).toEqual([]);
    });

    it("deletes consumed messages, immediate and delayed, and ignores unknown seqs", async () => {
      await ctx.store.commit(batch(ctx.fence, { messages: [message(1, 0), message(2, 1), message(3, 2, { dueAt: 9 })] }));
      await ctx.store.commit(batch(ctx.fence, { consumed: [1, 3, 99] }));
      const { messages, timers } = await everything(ctx.store, ctx.keyGroups);
      expect(seqs(messages)).toEqual([2]);
      expect(timers).toEqual([]);
    });

    it("consumes an ingress message inserted by the same batch (ingress applies first)", async () => {
      await ctx.store.commit(batch(ctx.fence, { ingress: [ingress(1, 0, "r1"), ingress(2, 0, "r2")], consumed: [1] }));
      expect(seqs((await everything(ctx.store, ctx.keyGroups)).messages)).toEqual([2]);
    });
  });

  describe("cancellation tokens", () => {
    it("delete only delayed messages committed before, never immediate ones nor those of the same batch", async () => {
      const { store, fence } = ctx;
      await store.commit(
        batch(fence, {
          messages: [
            message(1, 0, { dueAt: 10, cancellationToken: "t" }),
            message(2, 1, { dueAt: 20, cancellationToken: "t" }),
            message(3, 2, { dueAt: 30, cancellationToken: "other" }),
            message(4, 3, { cancellationToken: "t" }),
          ],
        }),
      );
      const cancelling = await store.commit(
        batch(fence, { cancelTokens: ["t", "unknown"], messages: [message(5, 4, { dueAt: 40, cancellationToken: "t" })] }),
      );
      // The commit tells how many delayed messages its tokens deleted (the engine's counts rely on it).
      expect(cancelling.cancelled).toBe(2);
      const { messages, timers } = await everything(store, ctx.keyGroups);
      expect(seqs(messages)).toEqual([4]);
      expect(seqs(timers)).toEqual([3, 5]);
      expect((await store.commit(batch(fence, { consumed: [3], cancelTokens: ["t"] }))).cancelled).toBe(1);
      expect(seqs((await everything(store, ctx.keyGroups)).timers)).toEqual([]);
      expect((await store.commit(batch(fence, { cancelTokens: ["t"] }))).cancelled).toBe(0);
      expect((await store.commit(batch(fence, { consumed: [4] }))).cancelled).toBeUndefined();
    });

    it("cancel a delayed ingress message of the same batch (ingress applies before cancellation)", async () => {
      await ctx.store.commit(
        batch(ctx.fence, { ingress: [ingress(1, 0, "r", { dueAt: 5, cancellationToken: "t" })], cancelTokens: ["t"] }),
      );
      expect((await everything(ctx.store, ctx.keyGroups)).timers).toEqual([]);
    });
  });

  describe("ingress idempotency", () => {
    it("inserts an ingress message once per key and reports duplicates with the first request id", async () => {
      const { store, fence } = ctx;
      const first = await store.commit(batch(fence, { ingress: [ingress(1, 0, "req-1", { idempotencyKey: "k" })] }));
      expect(first.duplicates).toEqual(new Map());
      const second = await store.commit(
        batch(fence, { ingress: [ingress(2, 0, "req-2", { idempotencyKey: "k" }), ingress(3, 0, "req-3", { idempotencyKey: "k2" })] }),
      );
      expect(second.duplicates).toEqual(new Map([["k", "req-1"]]));
      expect(seqs((await everything(store, ctx.keyGroups)).messages)).toEqual([1, 3]);
    });

    it("lets the first of two messages with one key in one batch win", async () => {
      const result = await ctx.store.commit(
        batch(ctx.fence, {
          ingress: [
            ingress(1, 0, "req-1", { idempotencyKey: "k" }),
            ingress(2, 1, "req-2"),
            ingress(3, 2, "req-3", { idempotencyKey: "k" }),
          ],
        }),
      );
      expect(result.duplicates).toEqual(new Map([["k", "req-1"]]));
      const { messages } = await everything(ctx.store, ctx.keyGroups);
      expect(messages).toEqual([message(1, 0), message(2, 1)]);
    });

    it("keeps the fingerprint given with a key, the first one's when a key comes again", async () => {
      const { store, fence } = ctx;
      await store.commit(
        batch(fence, {
          ingress: [
            ingress(1, 0, "req-1", { idempotencyKey: "k", fingerprint: "fp-1" }),
            ingress(2, 0, "req-2", { idempotencyKey: "bare" }),
          ],
        }),
      );
      const again = await store.commit(batch(fence, { ingress: [ingress(3, 0, "req-3", { idempotencyKey: "k", fingerprint: "fp-3" })] }));
      expect(again.duplicates).toEqual(new Map([["k", "req-1"]]));
      expect(await store.idempotencyFingerprint("k")).toBe("fp-1");
      expect(await store.idempotencyFingerprint("bare")).toBeUndefined();
      expect(await store.idempotencyFingerprint("unknown")).toBeUndefined();
    });

    it("always inserts ingress messages without a key", async () => {
      await ctx.store.commit(batch(ctx.fence, { ingress: [ingress(1, 0, "same"), ingress(2, 0, "same")] }));
      await ctx.store.commit(batch(ctx.fence, { ingress: [ingress(3, 0, "same")] }));
      expect(seqs((await everything(ctx.store, ctx.keyGroups)).messages)).toEqual([1, 2, 3]);
    });

    it("forgets purged keys", async () => {
      await ctx.store.commit(batch(ctx.fence, { now: 100, ingress: [ingress(1, 0, "req-1", { idempotencyKey: "k" })] }));
      expect(await ctx.store.purge(101, 10)).toBe(1);
      const again = await ctx.store.commit(batch(ctx.fence, { ingress: [ingress(2, 0, "req-2", { idempotencyKey: "k" })] }));
      expect(again.duplicates.size).toBe(0);
      expect(seqs((await everything(ctx.store, ctx.keyGroups)).messages)).toEqual([1, 2]);
    });
  });

  it("serves reads issued concurrently with a commit", async () => {
    const all = range(ctx.keyGroups);
    await ctx.store.commit(
      batch(ctx.fence, { messages: [message(1, 0)], state: [{ address: addr("x"), keyGroup: 0, name: "n", value: text("v") }] }),
    );
    const [, loaded, state, stats] = await Promise.all([
      ctx.store.commit(batch(ctx.fence, { messages: [message(2, 1)] })),
      ctx.store.loadMessages(all, 0, 10),
      ctx.store.loadState(addr("x")),
      ctx.store.stats(),
    ]);
    expect(loaded.length).toBeGreaterThanOrEqual(1);
    expect(state).toEqual([{ name: "n", value: text("v") }]);
    expect(stats.messages).toBeGreaterThanOrEqual(1);
  });
}
