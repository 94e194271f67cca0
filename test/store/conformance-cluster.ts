import type { StoreChange, StoredMessage } from "@statefun-ts/runtime/spi";
import { describe, expect, it, vi } from "vitest";
import type { Context } from "./conformance.js";
import { batch, message, range, seqs, text } from "./helpers.js";

const HOUR = 3_600_000;
const fenceOf = (owner: string, epochs: Map<number, number>) => ({ owner, epochs });

/** Membership, conditional leases, commit-ordered reads and egress claims (runtime `store/leases.ts`, `engine-store.ts`, `egress-outbox.ts`). */
export function clusterTests(ctx: Context): void {
  describe("membership", () => {
    it("lists live members sorted, drops lapsed and departed ones, and shows every lease", async () => {
      const { store } = ctx;
      await store.heartbeat("worker-b", HOUR);
      await store.heartbeat("worker-c", 0);
      const view = await store.heartbeat("worker-a", HOUR);
      expect(view.members).toEqual(["worker-a", "worker-b"]);
      expect(typeof view.now).toBe("number");
      expect([...view.leases.keys()].sort((a, b) => a - b)).toEqual(range(ctx.keyGroups));
      expect(view.leases.get(3)).toEqual({ owner: "worker-1", epoch: 1 });
      await store.leave("worker-b");
      await store.heartbeat("worker-c", HOUR);
      expect((await store.heartbeat("worker-a", 0)).members).toEqual(["worker-c"]);
    });
  });

  describe("claim and release", () => {
    it("leaves key groups of a live owner alone and takes them once its heartbeat lapsed, fencing it", async () => {
      const { store } = ctx;
      await store.heartbeat("worker-1", HOUR);
      expect(await store.claim("worker-2", [0, 1])).toEqual(new Map());
      await store.heartbeat("worker-1", 0);
      expect(await store.claim("worker-2", [0, 1, 1])).toEqual(
        new Map([
          [0, 2],
          [1, 2],
        ]),
      );
      await expect(store.commit(batch(ctx.fence, { touchedKeyGroups: new Set([0]) }))).rejects.toMatchObject({ code: "STATEFUN_FENCED" });
      await store.commit(batch(ctx.fence, { touchedKeyGroups: new Set([2]), messages: [message(1, 2)] }));
      const view = await store.heartbeat("worker-2", HOUR);
      expect(view.leases.get(0)).toEqual({ owner: "worker-2", epoch: 2 });
    });

    it("takes an owner's lease from a member that never heartbeated, and never-leased key groups at epoch 1", async () => {
      const fresh = await ctx.makeStore({ keyGroups: 4 });
      try {
        await fresh.store.open();
        expect(await fresh.store.claim("w", [0, 3])).toEqual(
          new Map([
            [0, 1],
            [3, 1],
          ]),
        );
        await fresh.store.heartbeat("w", HOUR);
        expect(await fresh.store.claim("v", [0, 1])).toEqual(new Map([[1, 1]]));
      } finally {
        await fresh.cleanup();
      }
    });

    it("re-claims its own key groups with a raised epoch", async () => {
      await ctx.store.heartbeat("worker-1", HOUR);
      expect(await ctx.store.claim("worker-1", [4])).toEqual(new Map([[4, 2]]));
      await expect(ctx.store.commit(batch(ctx.fence, { touchedKeyGroups: new Set([4]) }))).rejects.toMatchObject({
        code: "STATEFUN_FENCED",
      });
    });

    it("releases only with the current fence, keeps the epoch, and lets a live worker's released key group be claimed", async () => {
      const { store } = ctx;
      await store.heartbeat("worker-1", HOUR);
      await store.release(fenceOf("worker-1", new Map([[2, 7]])), [2]);
      await store.release(fenceOf("worker-9", new Map([[2, 1]])), [2]);
      expect((await store.heartbeat("worker-1", HOUR)).leases.get(2)).toEqual({ owner: "worker-1", epoch: 1 });
      await store.release(ctx.fence, [2, 5]);
      const view = await store.heartbeat("worker-1", HOUR);
      expect(view.leases.get(2)).toEqual({ owner: undefined, epoch: 1 });
      expect(view.leases.get(3)).toEqual({ owner: "worker-1", epoch: 1 });
      await expect(store.commit(batch(ctx.fence, { touchedKeyGroups: new Set([5]) }))).rejects.toMatchObject({ code: "STATEFUN_FENCED" });
      expect(await store.claim("worker-2", [2, 3])).toEqual(new Map([[2, 2]]));
    });

    it("fences a commit once its key group changed hands, even right after commits under that fence succeeded", async () => {
      const { store } = ctx;
      const touching = (kg: number) => batch(ctx.fence, { touchedKeyGroups: new Set([kg]) });
      await store.commit(touching(1));
      await store.acquire("worker-2", [1]);
      await expect(store.commit(touching(1))).rejects.toMatchObject({ code: "STATEFUN_FENCED" });

      await store.commit(touching(2));
      await store.heartbeat("worker-1", 0);
      expect(await store.claim("worker-3", [2])).toEqual(new Map([[2, 2]]));
      await expect(store.commit(touching(2))).rejects.toMatchObject({ code: "STATEFUN_FENCED" });

      await store.commit(touching(3));
      await store.release(ctx.fence, [3]);
      await expect(store.commit(touching(3))).rejects.toMatchObject({ code: "STATEFUN_FENCED" });
    });
  });

  describe("loadMessagesSince", () => {
    it("pages immediate messages of the key groups in commit order, never twice, skipping consumed and delayed ones", async () => {
      const { store, fence } = ctx;
      const first = await store.allocateSeqs(6);
      const ms = [0, 1, 2, 3, 0, 1].map((kg, i) => message(first + i, kg));
      await store.commit(batch(fence, { messages: [...ms.slice(0, 4), message(first + 90, 0, { dueAt: 5 })] }));
      await store.commit(batch(fence, { messages: ms.slice(4) }));
      await store.commit(batch(fence, { consumed: [first + 1] }));
      const wanted = [0, 1, 3];
      const seen: StoredMessage[] = [];
      let position = 0;
      for (let i = 0; i < 10; i++) {
        const page = await store.loadMessagesSince(wanted, position, 2);
        expect(page.next).toBeGreaterThanOrEqual(position);
        seen.push(...page.messages);
        position = page.next;
        if (page.messages.length < 2) break;
      }
      expect(seqs(seen)).toEqual([first, first + 3, first + 4, first + 5]);
      expect(await store.loadMessagesSince(wanted, position, 10)).toEqual({ messages: [], next: position });
      expect((await store.loadMessagesSince(wanted, 0, 0)).messages).toEqual([]);
    });

    it("never places a late commit of an earlier seq at or before a returned position (several writers)", async () => {
      const { store, fence } = ctx;
      const early = await store.allocateSeqs(1);
      const late = await store.allocateSeqs(2);
      await store.commit(batch(fence, { messages: [message(late, 2), message(late + 1, 3)] }));
      const seen: StoredMessage[] = [];
      const one = await store.loadMessagesSince(range(ctx.keyGroups), 0, 100);
      seen.push(...one.messages);
      await store.commit(batch(fence, { messages: [message(early, 1)] }));
      const two = await store.loadMessagesSince(range(ctx.keyGroups), one.next, 100);
      seen.push(...two.messages);
      expect(two.next).toBeGreaterThanOrEqual(one.next);
      expect(seqs(seen).sort((a, b) => a - b)).toEqual([early, late, late + 1]);
      // The late pair keeps its order whichever comes first.
      expect(seqs(seen).indexOf(late)).toBeLessThan(seqs(seen).indexOf(late + 1));
    });

    it("holds readers back at the last commit of a range of seqs that several commits use in turn (one writer's reserve)", async () => {
      const { store, fence } = ctx;
      const first = await store.allocateSeqs(10);
      await store.commit(batch(fence, { messages: [message(first, 0), message(first + 1, 1)] }));
      const one = await store.loadMessagesSince(range(ctx.keyGroups), 0, 100);
      await store.commit(batch(fence, { messages: [message(first + 2, 2), message(first + 3, 3)] }));
      const two = await store.loadMessagesSince(range(ctx.keyGroups), one.next, 100);
      expect(seqs([...one.messages, ...two.messages])).toEqual([first, first + 1, first + 2, first + 3]);
    });

    it("does not wait for the unused end of a range its writer left for a new one (a reserve refilled)", async () => {
      const { store, fence } = ctx;
      const old = await store.allocateSeqs(10);
      await store.commit(batch(fence, { messages: [message(old, 0), message(old + 1, 1)] }));
      const next = await store.allocateSeqs(10);
      await store.commit(batch(fence, { messages: [message(next, 2), message(next + 1, 3)] }));
      const one = await store.loadMessagesSince(range(ctx.keyGroups), 0, 100);
      await store.commit(batch(fence, { messages: [message(next + 2, 0)] }));
      const two = await store.loadMessagesSince(range(ctx.keyGroups), one.next, 100);
      expect(seqs([...one.messages, ...two.messages])).toEqual([old, old + 1, next, next + 1, next + 2]);
    });
  });

  describe("egress claims", () => {
    const record = (n: number) => ({ egress: "playground", topic: "t", argument: text(`r-${n}`), createdAt: n });

    it("hands each record to one claimant at a time, oldest first, until unclaimed, deleted or lapsed", async () => {
      const { store, fence } = ctx;
      await store.commit(batch(fence, { egress: [record(1), record(2), record(3)] }));
      const a = await store.claimEgress("t", "worker-a", HOUR);
      const b = await store.claimEgress("t", "worker-b", HOUR);
      expect(a?.argument).toEqual(text("r-1"));
      expect(b?.argument).toEqual(text("r-2"));
      expect(a!.claimedUntil).toBeGreaterThan(0);
      const c = await store.claimEgress("t", "worker-c", 0);
      expect(c?.argument).toEqual(text("r-3"));
      // A claim for 0 ms lapses at once: the record is claimable again.
      expect((await store.claimEgress("t", "worker-a", HOUR))?.id).toBe(c!.id);
      expect(await store.claimEgress("t", "worker-c", HOUR)).toBeUndefined();
      expect(await store.claimEgress("other", "worker-c", HOUR)).toBeUndefined();
      await store.unclaimEgress(a!.id, "worker-b");
      expect(await store.claimEgress("t", "worker-c", HOUR)).toBeUndefined();
      await store.unclaimEgress(a!.id, "worker-a");
      expect((await store.claimEgress("t", "worker-c", HOUR))?.id).toBe(a!.id);
      await store.deleteEgress([a!.id, b!.id, c!.id]);
      expect(await store.peekEgress("t", 10)).toEqual([]);
    });

    it("acknowledges a record only for the claimant of its last claim, lapsed or not, only once, and only under its topic", async () => {
      const { store, fence } = ctx;
      await store.commit(batch(fence, { egress: [record(1), record(2)] }));
      const a = await store.claimEgress("t", "receipt-a", HOUR);
      expect(await store.ackEgress("other", a!.id, "receipt-a")).toBe(false);
      expect(await store.ackEgress("t", a!.id, "receipt-b")).toBe(false);
      expect(await store.ackEgress("t", a!.id, "receipt-a")).toBe(true);
      expect(await store.ackEgress("t", a!.id, "receipt-a")).toBe(false);
      // A lapsed claim can still be acknowledged until the record is claimed again.
      const b = await store.claimEgress("t", "receipt-b", 0);
      expect(await store.ackEgress("t", b!.id, "receipt-b")).toBe(true);
      await store.commit(batch(fence, { egress: [record(3)] }));
      const c = await store.claimEgress("t", "receipt-c", 0);
      expect((await store.claimEgress("t", "receipt-d", HOUR))?.id).toBe(c!.id);
      expect(await store.ackEgress("t", c!.id, "receipt-c")).toBe(false);
      expect(await store.peekEgress("t", 10)).toHaveLength(1);
      expect(await store.ackEgress("t", c!.id, "receipt-d")).toBe(true);
      expect(await store.peekEgress("t", 10)).toEqual([]);
    });
  });

  describe("watch (optional)", () => {
    it("announces commits with new messages or replies, after they are visible", async () => {
      const { store, fence } = ctx;
      if (store.watch === undefined) return;
      const changes: StoreChange[] = [];
      let visible = 0;
      const stop = store.watch((change) => {
        changes.push(change);
        void store.getReply("req-1").then((r) => {
          if (r) visible++;
        });
      });
      try {
        await store.commit(
          batch(fence, {
            messages: [message(1, 2), message(2, 5, { dueAt: 10 })],
            replies: [{ requestId: "req-1", argument: text("ok") }],
          }),
        );
        await vi.waitFor(() => expect(visible).toBe(1));
        const change = changes.find((c) => c.replies === undefined || c.replies.includes("req-1"));
        expect(change?.origin).toBe("worker-1");
        expect(change?.messages ?? [2]).toContain(2);
        expect(change?.timers ?? [5]).toContain(5);
        expect(change?.replies ?? ["req-1"]).toContain("req-1");
      } finally {
        stop();
      }
    });
  });
}
