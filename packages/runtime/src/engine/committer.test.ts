import { until } from "@statefun-ts/test-kit";
import { describe, expect, it } from "vitest";
import type { CommitBatch } from "../store/types.js";
import { unit } from "./commit-unit.js";
import type { Committer } from "./committer.js";
import { committerOn, heldStore, holdCommits, reply } from "./fixtures/committer.js";

describe("Committer", () => {
  it("commits a unit marked alone in a batch of its own, ahead of queued units, and reports the store's time", async () => {
    const worker = await heldStore();
    const { store } = worker;
    const batches: string[][] = [];
    const commit = store.commit.bind(store);
    store.commit = (batch: CommitBatch) => {
      batches.push(batch.replies.map((r) => r.requestId));
      return commit(batch);
    };
    const committer = committerOn(worker);
    const replies = (id: string) => [reply(id)];
    const times: number[] = [];
    committer.enqueue(unit({ replies: replies("a") }));
    committer.enqueue(unit({ replies: replies("b") }));
    committer.enqueue(unit({ replies: replies("sweep-1"), alone: true, committed: (_s, _d, ms) => times.push(ms) }));
    committer.enqueue(unit({ replies: replies("sweep-2"), alone: true }));
    committer.enqueue(unit({ replies: replies("c") }));
    await committer.flush();
    expect(batches).toEqual([["sweep-1"], ["sweep-2"], ["a", "b", "c"]]);
    expect(times).toHaveLength(1);
    expect(times[0]).toBeGreaterThanOrEqual(0);
  });

  it("tells a unit the store's own time of its commit when the store reports it (CommitResult.storeMs)", async () => {
    const worker = await heldStore();
    const { store } = worker;
    const commit = store.commit.bind(store);
    store.commit = async (batch: CommitBatch) => ({ ...(await commit(batch)), storeMs: 1234 });
    const committer = committerOn(worker);
    const times: number[] = [];
    committer.enqueue(unit({ replies: [reply("a")], alone: true, committed: (_s, _d, ms) => times.push(ms) }));
    await committer.flush();
    expect(times).toEqual([1234]);
  });

  it("pipelined: splits a long queue in two halves and starts each commit before the engine hears of the one before", async () => {
    const worker = await heldStore();
    const { store } = worker;
    const events: string[] = [];
    const commit = store.commit.bind(store);
    store.commit = (batch: CommitBatch) => {
      events.push(`commit ${batch.replies.length}`);
      return commit(batch);
    };
    let allocations = 0;
    const allocate = store.allocateSeqs.bind(store);
    store.allocateSeqs = (count: number) => {
      allocations++;
      return allocate(count);
    };
    const seqs: number[] = [];
    const committer = committerOn(worker, {
      maxBatch: 10_000,
      onCommitted: (batch) => {
        events.push(`committed ${batch.units.length}`);
        for (const messages of batch.stored) for (const m of messages) seqs.push(m.seq);
      },
      pipelined: true,
    });
    const message = (i: number) => ({
      seq: 0,
      keyGroup: 0,
      target: { namespace: "t", type: "x", id: String(i) },
      argument: { typename: "t/x", value: new Uint8Array(0) },
    });
    for (let i = 0; i < 3_000; i++) {
      committer.enqueue(unit({ replies: [reply(String(i))], messages: [message(i)] }));
    }
    await committer.flush();
    expect(events).toEqual(["commit 1500", "commit 1500", "committed 1500", "committed 1500"]);
    // Seqs come from one reserve: one round trip, and they still grow from one commit to the next.
    expect(allocations).toBe(1);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(3_000);
  });

  it("pipelined: a long queue after a shorter commit takes half of both, so that the halves of a chain even out", async () => {
    const worker = await heldStore();
    const { store } = worker;
    const sizes: number[] = [];
    const held = holdCommits(store, (batch) => {
      sizes.push(batch.messages.length);
    });
    const committer = committerOn(worker, { maxBatch: 10_000, pipelined: true });
    const message = (i: number) => ({
      seq: 0,
      keyGroup: 0,
      target: { namespace: "t", type: "x", id: String(i) },
      argument: { typename: "t/x", value: new Uint8Array(0) },
    });
    const enqueue = (from: number, count: number) => {
      for (let i = from; i < from + count; i++) committer.enqueue(unit({ messages: [message(i)] }));
    };
    // A cold start splits 1,000 in two halves of 500; 2,500 more then queue behind the second.
    enqueue(0, 1_000);
    await until(() => held.length === 1, "the first commit");
    enqueue(1_000, 2_500);
    const flushed = committer.flush();
    // The 500 committed (their 500 invocations come next) and 3,000 wait: 1,750 go now, not 3,000.
    for (let n = 1; n <= 3; n++) {
      held.shift()!();
      if (n < 3) await until(() => held.length === 1, `commit ${n + 1}`);
    }
    await flushed;
    expect(sizes).toEqual([500, 1_750, 1_250]);
  });

  it("pipelined: a commit handed over while an earlier one waits for its seqs forms its batch after it, and reaches the store after it", async () => {
    const worker = await heldStore();
    const { store } = worker;
    const order: string[] = [];
    const commit = store.commit.bind(store);
    store.commit = (batch: CommitBatch) => {
      order.push(batch.replies.map((r) => r.requestId).join(","));
      return commit(batch);
    };
    const message = (id: string) => ({
      seq: 0,
      keyGroup: 0,
      target: { namespace: "t", type: "x", id },
      argument: { typename: "t/x", value: new Uint8Array(0) },
    });
    let committer: Committer | undefined;
    const allocate = store.allocateSeqs.bind(store);
    // The refill answers; before the commit that waited for it goes on, another batch is handed
    // over (an invocation finishing in a microtask then): it finds seqs in the reserve at once.
    store.allocateSeqs = (count: number) => {
      const seqs = allocate(count);
      void seqs.then(() => queueMicrotask(() => committer!.enqueue(unit({ replies: [reply("later")], messages: [message("b")] }))));
      return seqs;
    };
    committer = committerOn(worker, { pipelined: true, maxInFlight: 2, overlapFrom: 1, eagerFrom: 1 });
    committer.enqueue(unit({ replies: [reply("first")], messages: [message("a")] }));
    await committer.flush();
    expect(order).toEqual(["first", "later"]);
  });

  it("settled: resolves once the units enqueued so far are committed, while new units keep coming", async () => {
    const worker = await heldStore();
    const { store } = worker;
    const replies = (id: string) => [reply(id)];
    let more = true;
    let next = 0;
    let committer: Committer | undefined;
    // Each commit starts another one, as a chain of messages does: the pipeline is never idle.
    const load = () => {
      if (more) committer!.enqueue(unit({ replies: replies(`load-${next++}`) }));
    };
    committer = committerOn(worker, {
      onCommitted: load,
      pipelined: true,
    });
    let done = false;
    committer.enqueue(unit({ replies: replies("first"), committed: () => (done = true) }));
    load();
    await committer.settled();
    expect(done).toBe(true);
    let idle = false;
    const flushed = committer.flush().then(() => (idle = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(idle).toBe(false);
    more = false;
    await flushed;
    expect(await store.getReply("first")).toBeDefined();
  });

  it("maxInFlight 2: hands the next batch to the store while the one before commits, and tells the engine in commit order", async () => {
    const worker = await heldStore();
    const { store } = worker;
    const events: string[] = [];
    const held: { batch: CommitBatch; release: () => void }[] = [];
    const commit = store.commit.bind(store);
    // The store holds each commit until the test releases it, as a store thread does during an fsync.
    store.commit = (batch: CommitBatch) => {
      events.push(`commit ${batch.replies.map((r) => r.requestId).join(",")}`);
      return new Promise((resolve, reject) => held.push({ batch, release: () => commit(batch).then(resolve, reject) }));
    };
    const committer = committerOn(worker, {
      onCommitted: (batch) => events.push(`committed ${batch.units.map((u) => u.replies[0]!.requestId).join(",")}`),
      pipelined: true,
      maxInFlight: 2,
      overlapFrom: 1,
    });
    const replyUnit = (id: string) => unit({ replies: [reply(id)] });
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    committer.enqueue(replyUnit("a"));
    await turn();
    committer.enqueue(replyUnit("b"));
    await turn();
    committer.enqueue(replyUnit("c"));
    await turn();
    // Two commits under way, the third waits for room.
    expect(events).toEqual(["commit a", "commit b"]);
    held[1]!.release();
    await turn();
    expect(events).toEqual(["commit a", "commit b"]);
    held[0]!.release();
    const flushed = committer.flush();
    await until(() => held.length === 3, "the third commit");
    held[2]!.release();
    await flushed;
    expect(events).toEqual(["commit a", "commit b", "commit c", "committed a", "committed b", "committed c"]);
  });

  it("maxInFlight 2: a failed commit fails the units of the one handed over after it, and the engine hears of one failure", async () => {
    const worker = await heldStore();
    const { store } = worker;
    const rejects: ((error: unknown) => void)[] = [];
    store.commit = () => new Promise((_resolve, reject) => rejects.push(reject));
    const fatal: unknown[] = [];
    const committed: string[] = [];
    const failed: string[] = [];
    const committer = committerOn(worker, {
      onCommitted: () => committed.push("batch"),
      onFatal: (error) => fatal.push(error),
      pipelined: true,
      maxInFlight: 2,
      overlapFrom: 1,
    });
    const tracked = (id: string) =>
      unit({
        replies: [reply(id)],
        committed: () => committed.push(id),
        failed: () => failed.push(id),
      });
    committer.enqueue(tracked("a"));
    await until(() => rejects.length === 1, "the first commit");
    committer.enqueue(tracked("b"));
    await until(() => rejects.length === 2, "the second commit");
    committer.enqueue(tracked("c"));
    rejects[0]!(new Error("disk full"));
    rejects[1]!(new Error("not applied, the commit before it failed"));
    await committer.flush();
    expect(committed).toEqual([]);
    expect(failed.sort()).toEqual(["a", "b", "c"]);
    expect(fatal).toEqual([new Error("disk full")]);
    expect(committer.failed).toBe(true);
  });

  it("maxInFlight 2: a queue shorter than overlapFrom waits for the commit under way and goes in the next batch", async () => {
    const worker = await heldStore();
    const { store } = worker;
    const sizes: number[] = [];
    const held = holdCommits(store, (batch) => {
      sizes.push(batch.replies.length);
    });
    const committer = committerOn(worker, {
      pipelined: true,
      maxInFlight: 2,
      overlapFrom: 3,
    });
    const replyUnit = (id: string) => unit({ replies: [reply(id)] });
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    committer.enqueue(replyUnit("a"));
    await until(() => held.length === 1, "the first commit");
    committer.enqueue(replyUnit("b"));
    committer.enqueue(replyUnit("c"));
    await turn();
    // Two queued, fewer than overlapFrom: no second commit while the first is under way.
    expect(sizes).toEqual([1]);
    committer.enqueue(replyUnit("d"));
    await until(() => held.length === 2, "the second commit, once three are queued");
    expect(sizes).toEqual([1, 3]);
    const flushed = committer.flush();
    for (const release of held) release();
    await flushed;
  });

  it("eagerFrom: a long turn hands batches to the store as it goes, up to maxInFlight, and the engine hears of them in commit order", async () => {
    const run = async (eagerFrom: number) => {
      const worker = await heldStore();
      const { store } = worker;
      const sizes: number[] = [];
      const committed: string[] = [];
      const held = holdCommits(store, (batch) => {
        sizes.push(batch.replies.length);
      });
      const committer = committerOn(worker, {
        onCommitted: (batch) => committed.push(batch.units.map((u) => u.replies[0]!.requestId).join(",")),
        pipelined: true,
        maxInFlight: 2,
        overlapFrom: 1,
        eagerFrom,
      });
      // One synchronous turn, as the dispatcher's when a big commit released many messages.
      for (const id of ["a", "b", "c", "d", "e", "f"]) committer.enqueue(unit({ replies: [reply(id)] }));
      const inTurn = [...sizes];
      const flushed = committer.flush();
      while (committed.length < (eagerFrom > 0 ? 3 : 1)) {
        await until(() => held.length > 0, "a commit");
        held.shift()!();
        await new Promise((resolve) => setImmediate(resolve));
      }
      await flushed;
      return { inTurn, sizes, committed };
    };
    // Two units queued: a batch goes at once, then another; the third waits for room, after the turn.
    expect(await run(2)).toEqual({ inTurn: [2, 2], sizes: [2, 2, 2], committed: ["a,b", "c,d", "e,f"] });
    // Without it, nothing reaches the store before the turn ends.
    expect(await run(0)).toEqual({ inTurn: [], sizes: [6], committed: ["a,b,c,d,e,f"] });
  });

  it("pipelined: a short queue waits for the engine to hear of the commit under way, and goes in one batch with what that started", async () => {
    const worker = await heldStore();
    const { store } = worker;
    const events: string[] = [];
    const held = holdCommits(store, (batch) => {
      events.push(`commit ${batch.replies.map((r) => r.requestId).join(",")}`);
    });
    const committer: Committer = committerOn(worker, {
      onCommitted: (batch) => {
        const ids = batch.units.map((u) => u.replies[0]!.requestId);
        events.push(`committed ${ids.join(",")}`);
        // As a reply releases the next request of its client.
        if (ids.includes("a")) committer.enqueue(unit({ replies: [reply("c")] }));
      },
      pipelined: true,
    });
    committer.enqueue(unit({ replies: [reply("a")] }));
    await until(() => held.length === 1, "the first commit");
    committer.enqueue(unit({ replies: [reply("b")] }));
    const flushed = committer.flush();
    held.shift()!();
    await until(() => held.length === 1, "the second commit");
    held.shift()!();
    await flushed;
    expect(events).toEqual(["commit a", "committed a", "commit b,c", "committed b,c"]);
  });
});
