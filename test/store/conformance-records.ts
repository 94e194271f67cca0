import { describe, expect, it } from "vitest";
import type { Context } from "./conformance.js";
import { addr, batch, bytes, everything, ingress, message, range, stateOf, text } from "./helpers.js";

export function recordTests(ctx: Context): void {
  describe("state specs registered by remote functions", () => {
    it("adds new names, replaces known ones, and survives a reopen", async () => {
      expect(await ctx.store.loadStateSpecs()).toEqual(new Map());
      await ctx.store.saveStateSpecs("py/greeter", [
        { name: "seen", typename: "io.statefun.types/int", expiration: { mode: "none" } },
        { name: "last", typename: "io.statefun.types/string", expiration: { mode: "after-call", millis: 2000 } },
      ]);
      await ctx.store.saveStateSpecs("py/greeter", [
        { name: "seen", typename: "io.statefun.types/int", expiration: { mode: "after-write", millis: 5 } },
      ]);
      await ctx.store.saveStateSpecs("go/other", [{ name: "x", typename: "t/x", expiration: { mode: "none" } }]);
      const store = await ctx.reopen();
      const specs = await store.loadStateSpecs();
      const byName = (type: string) => [...(specs.get(type) ?? [])].sort((a, b) => a.name.localeCompare(b.name));
      expect(byName("py/greeter")).toEqual([
        { name: "last", typename: "io.statefun.types/string", expiration: { mode: "after-call", millis: 2000 } },
        { name: "seen", typename: "io.statefun.types/int", expiration: { mode: "after-write", millis: 5 } },
      ]);
      expect(byName("go/other")).toEqual([{ name: "x", typename: "t/x", expiration: { mode: "none" } }]);
    });
  });

  describe("state", () => {
    it("round-trips values and expiry per address, expired ones included", async () => {
      const a = addr("a");
      await ctx.store.commit(
        batch(ctx.fence, {
          state: [
            { address: a, keyGroup: 1, name: "zeta", value: bytes(range(256)) },
            { address: a, keyGroup: 1, name: "alpha", value: text("x"), expiresAt: 1 },
            { address: a, keyGroup: 1, name: "empty", value: { typename: "t/e", value: new Uint8Array(0) } },
            { address: addr("a", "other"), keyGroup: 1, name: "alpha", value: text("other type") },
            { address: addr("b"), keyGroup: 2, name: "alpha", value: text("other id") },
            { address: addr("a", "counter", "other.ns"), keyGroup: 1, name: "alpha", value: text("other ns") },
          ],
        }),
      );
      const state = await stateOf(ctx.store, a);
      expect(state).toEqual([
        { name: "alpha", value: text("x"), expiresAt: 1 },
        { name: "empty", value: { typename: "t/e", value: new Uint8Array(0) } },
        { name: "zeta", value: bytes(range(256)) },
      ]);
      expect(state[1]?.expiresAt).toBeUndefined();
      expect(state[2]?.value.value.constructor).toBe(Uint8Array);
      expect(await stateOf(ctx.store, addr("b"))).toEqual([{ name: "alpha", value: text("other id") }]);
      expect(await stateOf(ctx.store, addr("nobody"))).toEqual([]);
    });

    it("overwrites (the last write of a batch wins) and deletes with null", async () => {
      const a = addr("a");
      const write = (name: string, value: ReturnType<typeof text> | null, expiresAt?: number) => ({
        address: a,
        keyGroup: 0,
        name,
        value,
        expiresAt,
      });
      await ctx.store.commit(batch(ctx.fence, { state: [write("n", text("1"), 50), write("n", text("2"), 60), write("m", text("m"))] }));
      expect(await stateOf(ctx.store, a)).toEqual([
        { name: "m", value: text("m") },
        { name: "n", value: text("2"), expiresAt: 60 },
      ]);
      await ctx.store.commit(batch(ctx.fence, { state: [write("n", text("3")), write("gone", null)] }));
      expect(await stateOf(ctx.store, a)).toEqual([
        { name: "m", value: text("m") },
        { name: "n", value: text("3") },
      ]);
      await ctx.store.commit(
        batch(ctx.fence, { state: [write("m", null), write("n", text("4")), write("n", null), write("p", null), write("p", text("p"))] }),
      );
      expect(await stateOf(ctx.store, a)).toEqual([{ name: "p", value: text("p") }]);
    });
  });

  describe("egress", () => {
    const record = (topic: string, n: number) => ({ egress: "playground", topic, argument: text(`${topic}-${n}`), createdAt: 1_000 + n });

    it("peeks the oldest records of a topic, skipping excluded ids, and deletes delivered ones", async () => {
      await ctx.store.commit(batch(ctx.fence, { egress: [record("a", 1), record("b", 1), record("a", 2)] }));
      await ctx.store.commit(batch(ctx.fence, { egress: [record("a", 3)] }));
      const peeked = await ctx.store.peekEgress("a", 10);
      expect(peeked.map(({ id: _, ...rest }) => rest)).toEqual([record("a", 1), record("a", 2), record("a", 3)].map((r) => r));
      const ids = peeked.map((r) => r.id);
      expect([...ids].sort((x, y) => x - y)).toEqual(ids);
      expect(new Set(ids).size).toBe(3);
      expect(await ctx.store.peekEgress("a", 2)).toEqual(peeked.slice(0, 2));
      expect(await ctx.store.peekEgress("a", 1, new Set([ids[0]!]))).toEqual([peeked[1]]);
      expect(await ctx.store.peekEgress("a", 5, new Set([ids[0]!, ids[2]!]))).toEqual([peeked[1]]);
      expect(await ctx.store.peekEgress("a", 5, new Set())).toEqual(peeked);
      expect(await ctx.store.peekEgress("c", 5)).toEqual([]);

      await ctx.store.deleteEgress([ids[0]!, ids[1]!]);
      expect(await ctx.store.peekEgress("a", 10)).toEqual([peeked[2]]);
      await ctx.store.deleteEgress([]);
      expect((await ctx.store.peekEgress("b", 10)).map((r) => r.argument)).toEqual([text("b-1")]);
    });

    it("never reuses an id, even after deletes", async () => {
      await ctx.store.commit(batch(ctx.fence, { egress: [record("a", 1), record("a", 2)] }));
      const first = await ctx.store.peekEgress("a", 10);
      await ctx.store.deleteEgress(first.map((r) => r.id));
      await ctx.store.commit(batch(ctx.fence, { egress: [record("a", 3)] }));
      const [next] = await ctx.store.peekEgress("a", 10);
      expect(next!.id).toBeGreaterThan(Math.max(...first.map((r) => r.id)));
    });
  });

  describe("replies", () => {
    it("stores replies by request id and overwrites on a second reply", async () => {
      await ctx.store.commit(batch(ctx.fence, { replies: [{ requestId: "r1", argument: text("one") }] }));
      expect(await ctx.store.getReply("r1")).toEqual({ requestId: "r1", argument: text("one") });
      expect(await ctx.store.getReply("r2")).toBeUndefined();
      await ctx.store.commit(batch(ctx.fence, { replies: [{ requestId: "r1", argument: bytes([0, 255]) }] }));
      expect(await ctx.store.getReply("r1")).toEqual({ requestId: "r1", argument: bytes([0, 255]) });
    });

    it("stores every reply of a batch with many, the last of one request id in the batch winning", async () => {
      const replies = range(40).map((i) => ({ requestId: `r${i}`, argument: text(`reply ${i}`) }));
      replies.push({ requestId: "r3", argument: text("again") });
      await ctx.store.commit(batch(ctx.fence, { replies }));
      for (const i of range(40)) {
        expect(await ctx.store.getReply(`r${i}`)).toEqual({ requestId: `r${i}`, argument: text(i === 3 ? "again" : `reply ${i}`) });
      }
    });
  });

  describe("an ingress message its own batch consumes (a request answered before its commit)", () => {
    it("leaves no message behind, the counts and the batch's other parts as if it had been stored and deleted", async () => {
      const { store, fence } = ctx;
      await store.commit(batch(fence, { messages: [message(1, 0)] }));
      const stats = await store.stats();
      await store.commit(
        batch(fence, {
          ingress: [ingress(2, 1, "r2"), ingress(3, 1, "r3", { idempotencyKey: "k3" }), ingress(4, 2, "r4")],
          consumed: [2, 3],
          messages: [message(5, 1)],
          replies: [{ requestId: "r2", argument: text("two") }],
        }),
      );
      expect((await everything(store, ctx.keyGroups)).messages.map((m) => m.seq)).toEqual([1, 4, 5]);
      expect((await store.stats()).messages).toBe(stats.messages + 2);
      expect(await store.getReply("r2")).toEqual({ requestId: "r2", argument: text("two") });
    });
  });

  describe("dead letters", () => {
    it("keeps whole messages with their error, lists them by id, and deletes replayed ones", async () => {
      const dead = [
        {
          message: message(5, 3, { caller: addr("c"), dueAt: 9, cancellationToken: "t" }),
          error: "boom\nstack",
          attempts: 3,
          failedAt: 77,
        },
        { message: message(6, 0), error: "bad", attempts: 1, failedAt: 78 },
        { message: message(7, 1), error: "worse", attempts: 2, failedAt: 79 },
      ];
      await ctx.store.commit(batch(ctx.fence, { deadLetters: dead }));
      const listed = await ctx.store.listDeadLetters(10);
      expect(listed.map(({ id: _, ...rest }) => rest)).toEqual(dead);
      const ids = listed.map((d) => d.id);
      expect([...ids].sort((x, y) => x - y)).toEqual(ids);
      expect(await ctx.store.listDeadLetters(2)).toEqual(listed.slice(0, 2));
      expect(await ctx.store.listDeadLetters(10, ids[0])).toEqual(listed.slice(1));
      expect(await ctx.store.getDeadLetter(ids[1]!)).toEqual(listed[1]);
      expect(await ctx.store.getDeadLetter(Math.max(...ids) + 1)).toBeUndefined();

      const replayed = listed[1]!;
      await ctx.store.commit(batch(ctx.fence, { messages: [replayed.message], replayed: [replayed.id] }));
      expect((await ctx.store.listDeadLetters(10)).map((d) => d.id)).toEqual([ids[0], ids[2]]);
      expect((await everything(ctx.store, ctx.keyGroups)).messages).toEqual([replayed.message]);
    });
  });

  describe("purge", () => {
    it("deletes replies and idempotency keys created before a time, at most `limit` of each", async () => {
      const { store, fence } = ctx;
      const key = (seq: number, k: string) => ({ ...message(seq, 0), requestId: `req-${k}`, idempotencyKey: k });
      await store.commit(batch(fence, { now: 10, replies: [{ requestId: "a", argument: text("a") }], ingress: [key(1, "ka")] }));
      await store.commit(batch(fence, { now: 20, replies: [{ requestId: "b", argument: text("b") }], ingress: [key(2, "kb")] }));
      await store.commit(batch(fence, { now: 30, replies: [{ requestId: "c", argument: text("c") }], ingress: [key(3, "kc")] }));
      expect(await store.purge(10, 100)).toBe(0);
      expect(await store.purge(30, 1)).toBe(2);
      expect(await store.getReply("a")).toBeUndefined();
      expect(await store.getReply("b")).toBeDefined();
      expect(await store.purge(30, 100)).toBe(2);
      expect(await store.getReply("b")).toBeUndefined();
      expect(await store.getReply("c")).toEqual({ requestId: "c", argument: text("c") });
      const again = await store.commit(batch(fence, { ingress: [key(4, "ka"), key(5, "kb"), key(6, "kc")] }));
      expect(again.duplicates).toEqual(new Map([["kc", "req-kc"]]));
    });
  });

  describe("stats", () => {
    it("counts waiting messages, timers, egress records and dead letters", async () => {
      expect(await ctx.store.stats()).toEqual({ messages: 0, timers: 0, egress: 0, deadLetters: 0 });
      await ctx.store.commit(
        batch(ctx.fence, {
          messages: [message(1, 0), message(2, 1), message(3, 2, { dueAt: 5 })],
          egress: [{ egress: "e", topic: "t", argument: text("x"), createdAt: 1 }],
          deadLetters: [{ message: message(4, 0), error: "e", attempts: 1, failedAt: 1 }],
        }),
      );
      expect(await ctx.store.stats()).toEqual({ messages: 2, timers: 1, egress: 1, deadLetters: 1 });
    });
  });
}
