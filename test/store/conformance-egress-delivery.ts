import { describe, expect, it } from "vitest";
import type { Context } from "./conformance.js";
import { batch, text } from "./helpers.js";

/** The outbox of egresses with no topic in delivery order (`EgressDelivery`, read by the Kafka egress). */
export function egressDeliveryTests(ctx: Context): void {
  describe("egress delivery order", () => {
    const record = (egress: string, topic: string, n: number) => ({ egress, topic, argument: text(`${egress}-${n}`), createdAt: n });
    const values = (rows: readonly { argument: { value: Uint8Array } }[]) => rows.map((r) => new TextDecoder().decode(r.argument.value));

    it("reads the rows of egresses with no topic in commit order, after a position, and never numbers a later row below one read", async () => {
      await ctx.store.commit(batch(ctx.fence, { egress: [record("k1", "", 1), record("http", "t", 2), record("k2", "", 3)] }));
      const first = await ctx.store.orderedEgress(0, 10);
      expect(values(first)).toEqual(["k1-1", "k2-3"]);
      expect(first[0]!.seq).toBeLessThan(first[1]!.seq);
      expect(first.every((r) => r.topic === "")).toBe(true);
      await ctx.store.commit(batch(ctx.fence, { egress: [record("k1", "", 4), record("k1", "", 5)] }));
      const after = first.at(-1)!.seq;
      const next = await ctx.store.orderedEgress(after, 1);
      expect(values(next)).toEqual(["k1-4"]);
      expect(next[0]!.seq).toBeGreaterThan(after);
      expect(values(await ctx.store.orderedEgress(next[0]!.seq, 10))).toEqual(["k1-5"]);
      // Deleted rows are gone; the order of the others stays.
      await ctx.store.deleteEgress(first.map((r) => r.id));
      expect(values(await ctx.store.orderedEgress(0, 10))).toEqual(["k1-4", "k1-5"]);
      expect(await ctx.store.orderedEgress(0, 0)).toEqual([]);
      expect(typeof (await ctx.store.egressOrder())).toBe("string");
    });

    it("deletes one egress's rows by seq range, in one statement, where the store offers it (the Kafka egress deletes by id elsewhere)", async () => {
      await ctx.store.commit(batch(ctx.fence, { egress: [record("k1", "", 1), record("k2", "", 2), record("k1", "", 3)] }));
      await ctx.store.commit(batch(ctx.fence, { egress: [record("http", "t", 4), record("k1", "", 5), record("k1", "", 6)] }));
      const read = await ctx.store.orderedEgress(0, 10);
      const delivered = read.filter((r) => r.egress === "k1").slice(0, 3);
      expect(values(delivered)).toEqual(["k1-1", "k1-3", "k1-5"]);
      const remove = ctx.store.deleteOrderedEgress?.bind(ctx.store);
      if (remove === undefined) return;
      // Rows of another egress in the range, and of an egress with a topic, stay.
      expect(await remove("k1", delivered[0]!.seq, delivered.at(-1)!.seq)).toBe(3);
      expect(values(await ctx.store.orderedEgress(0, 10))).toEqual(["k2-2", "k1-6"]);
      expect(await ctx.store.peekEgress("t", 10)).toHaveLength(1);
      expect(await remove("k1", delivered[0]!.seq, delivered.at(-1)!.seq)).toBe(0);
      // Durable with the next commit.
      await ctx.store.commit(batch(ctx.fence, { egress: [record("k1", "", 7)] }));
      const store = await ctx.reopen();
      expect(values(await store.orderedEgress(0, 10))).toEqual(["k2-2", "k1-6", "k1-7"]);
    });

    it("announces each commit's egress rows numbered as the ordered read numbers them, where the store offers it", async () => {
      const announced: { values: string[]; seq: number }[] = [];
      const subscribe = ctx.store.onEgressCommitted?.bind(ctx.store);
      if (subscribe === undefined) return;
      const unsubscribe = subscribe((rows, seq) => announced.push({ values: values(rows), seq }));
      const many = Array.from({ length: 1_500 }, (_, i) => record(i % 7 === 0 ? "http" : "k", i % 7 === 0 ? "t" : "", i));
      await ctx.store.commit(batch(ctx.fence, { egress: [record("k", "", -1)] }));
      await ctx.store.commit(batch(ctx.fence, {}));
      await ctx.store.commit(batch(ctx.fence, { egress: many }));
      unsubscribe();
      await ctx.store.commit(batch(ctx.fence, { egress: [record("k", "", -2)] }));
      expect(announced.map((a) => a.values.length)).toEqual([1, 1_500]);
      // Every announced row with no topic is the row the read gives that seq; rows with a topic take a seq too.
      const bySeq = new Map<number, string>();
      for (const a of announced) for (const [i, v] of a.values.entries()) bySeq.set(a.seq + i, v);
      const read = await ctx.store.orderedEgress(0, 10_000);
      expect(read).toHaveLength(1 + 1_500 - many.filter((r) => r.topic !== "").length + 1);
      for (const row of read.slice(0, -1)) expect(bySeq.get(row.seq)).toBe(values([row])[0]);
      expect(announced[1]!.seq).toBe(announced[0]!.seq + 1);
    });

    it("keeps the order across a reopen, and numbers rows committed after it above every row read before", async () => {
      await ctx.store.commit(batch(ctx.fence, { egress: [record("k", "", 1)] }));
      const [one] = await ctx.store.orderedEgress(0, 10);
      const store = await ctx.reopen();
      await store.commit(batch(ctx.fence, { egress: [record("k", "", 2)] }));
      const rows = await store.orderedEgress(0, 10);
      expect(values(rows)).toEqual(["k-1", "k-2"]);
      expect(rows[0]!.seq).toBe(one!.seq);
      expect(rows[1]!.seq).toBeGreaterThan(one!.seq);
    });

    it("keeps the records of one commit in the order they were written (one partition's records keep their order in Kafka)", async () => {
      const many = Array.from({ length: 40 }, (_, n) => record("k", "", n));
      await ctx.store.commit(batch(ctx.fence, { egress: many }));
      expect(values(await ctx.store.orderedEgress(0, 100))).toEqual(many.map((r) => `k-${r.createdAt}`));
    });
  });
}
