import { describe, expect, it } from "vitest";
import type { Context } from "./conformance.js";
import { addr, batch, everything, message, seqs, text } from "./helpers.js";

/** Ingress source positions (Kafka partitions): committed with their messages, conditional on the position read from. */
export function sourcePositionTests(ctx: Context): void {
  describe("source positions", () => {
    const advance = (from: number | null, to: number, messageSeqs: number[], partition = "orders/0") => ({
      source: "kafka:orders",
      partition,
      from,
      to,
      messages: messageSeqs.map((seq) => message(seq, 1)),
      deadLetters: [],
    });

    it("stores the first position and its messages; a reopen finds both", async () => {
      const result = await ctx.store.commit(batch(ctx.fence, { sources: [advance(null, 3, [1, 2, 3])] }));
      expect(result.rejectedSources?.size ?? 0).toBe(0);
      const store = await ctx.reopen();
      expect(await store.loadSourcePositions("kafka:orders")).toEqual(new Map([["orders/0", 3]]));
      expect(await store.loadSourcePositions("kafka:other")).toEqual(new Map());
      expect(seqs((await everything(store, ctx.keyGroups)).messages)).toEqual([1, 2, 3]);
    });

    it("advances only from the stored position: a second reader of the same records adds nothing, the rest of its batch commits", async () => {
      await ctx.store.commit(batch(ctx.fence, { sources: [advance(null, 2, [1, 2])] }));
      // Two readers read 2..4; the first commits, the second (same from) must not add its copies.
      expect((await ctx.store.commit(batch(ctx.fence, { sources: [advance(2, 4, [3, 4])] }))).rejectedSources?.size ?? 0).toBe(0);
      const late = await ctx.store.commit(
        batch(ctx.fence, { sources: [advance(2, 4, [5, 6]), advance(null, 1, [7], "orders/1")], messages: [message(8, 2)] }),
      );
      expect([...(late.rejectedSources ?? [])]).toEqual([0]);
      // A second first reader of a partition (from null) is rejected too.
      const again = await ctx.store.commit(batch(ctx.fence, { sources: [advance(null, 1, [9], "orders/1")] }));
      expect([...(again.rejectedSources ?? [])]).toEqual([0]);
      expect(seqs((await everything(ctx.store, ctx.keyGroups)).messages)).toEqual([1, 2, 3, 4, 7, 8]);
      expect(await ctx.store.loadSourcePositions("kafka:orders")).toEqual(
        new Map([
          ["orders/0", 4],
          ["orders/1", 1],
        ]),
      );
    });

    it("chains advances of one partition inside one batch, and dead-letters records with the position", async () => {
      const dead = { message: message(4, 1, { target: addr("", "orders") }), error: "record has no key", attempts: 0, failedAt: 5 };
      const result = await ctx.store.commit(
        batch(ctx.fence, { sources: [advance(null, 2, [1, 2]), { ...advance(2, 5, [3]), deadLetters: [dead] }] }),
      );
      expect(result.rejectedSources?.size ?? 0).toBe(0);
      expect(await ctx.store.loadSourcePositions("kafka:orders")).toEqual(new Map([["orders/0", 5]]));
      const letters = await ctx.store.listDeadLetters(10);
      expect(letters.map((d) => [d.error, d.message.argument])).toEqual([["record has no key", text("m4")]]);
    });

    it("writes nothing of a batch whose fence does not hold, position included", async () => {
      const stale = { owner: "worker-1", epochs: new Map([...ctx.fence.epochs].map(([kg, e]) => [kg, e - 1])) };
      await expect(ctx.store.commit(batch(stale, { sources: [advance(null, 2, [1, 2])] }))).rejects.toMatchObject({
        code: "STATEFUN_FENCED",
      });
      expect(await ctx.store.loadSourcePositions("kafka:orders")).toEqual(new Map());
      expect((await everything(ctx.store, ctx.keyGroups)).messages).toEqual([]);
    });
  });
}
