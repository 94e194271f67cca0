import { StatefunError } from "@statefun-ts/protocol";
import { statefulFunction, statefunModule, Types, valueSpec } from "@statefun-ts/sdk";
import { typed, until } from "@statefun-ts/test-kit";
import { afterEach, describe, expect, it } from "vitest";
import { Runtime } from "../runtime.js";
import { MemoryStore } from "../store/memory-store.js";
import type { CommitBatch, CommitResult } from "../store/types.js";

/** A memory store that counts its commits and keeps the batches. */
class PlainStore extends MemoryStore {
  readonly batches: CommitBatch[] = [];
  override async commit(batch: CommitBatch): Promise<CommitResult> {
    this.batches.push(batch);
    return super.commit(batch);
  }
}

/** The same, as a store that commits on another thread: the commit pipeline overlaps commits and invocations. */
class PipelinedStore extends PlainStore {
  readonly commitsOffThread = true;
}

const count = valueSpec("count", Types.int);
/** Resolves the handler of `slow` instances (one at a time). */
let release: (() => void) | undefined;

const counter = statefulFunction({
  typename: "test/counter",
  state: { count },
  accepts: [Types.int],
  handler(ctx, message) {
    const next = (ctx.state.count.get() ?? 0) + message.as(Types.int);
    ctx.state.count.set(next);
    ctx.reply(Types.int, next);
  },
});

const slow = statefulFunction({
  typename: "test/slow",
  state: { count },
  accepts: [Types.int],
  async handler(ctx, message) {
    await new Promise<void>((resolve) => {
      release = resolve;
    });
    const next = (ctx.state.count.get() ?? 0) + message.as(Types.int);
    ctx.state.count.set(next);
    ctx.reply(Types.int, next);
  },
});

let runtime: Runtime | undefined;
afterEach(async () => {
  release?.();
  await runtime?.stop();
  runtime = undefined;
});

async function start(store: MemoryStore): Promise<Runtime> {
  runtime = new Runtime({ store, modules: [statefunModule({ functions: [counter, slow] })] });
  await runtime.start();
  return runtime;
}

const one = typed(Types.int, 1);
const answer = (v: { value: Uint8Array } | undefined) => v && Types.int.deserialize(v.value);

describe.each([
  ["", PlainStore],
  [" (pipelined commits)", PipelinedStore],
])("an awaited ingress request%s", (_, CountingStore) => {
  it("costs one commit: the message, its consumption, the state write and the reply commit together", async () => {
    const store = new CountingStore();
    const rt = await start(store);
    await until(async () => (await rt.storeStats()).messages === 0);
    const before = store.batches.length;
    const receipt = await rt.ingest({ target: counter.at("a"), argument: one, awaitReply: true });
    expect(answer(await receipt.reply!(2000))).toBe(1);
    expect(store.batches.length - before).toBe(1);
    const [batch] = store.batches.slice(before);
    expect(batch!.ingress).toHaveLength(1);
    expect(batch!.consumed).toEqual([batch!.ingress[0]!.seq]);
    expect(batch!.replies.map((r) => r.requestId)).toEqual([receipt.requestId]);
    // Nothing is left to deliver again, and the state and reply are stored.
    expect(await store.loadMessages(rt.ownedKeyGroups(), 0, 10)).toEqual([]);
    expect((await rt.readState(counter.at("a"))).map((s) => answer(s))).toEqual([1]);
    expect(answer(await rt.getReply(receipt.requestId))).toBe(1);
  });

  it("answers several awaited requests to one address once each, in order, in one commit", async () => {
    const store = new CountingStore();
    const rt = await start(store);
    const before = store.batches.length;
    const receipts = await Promise.all([1, 2, 3].map(() => rt.ingest({ target: counter.at("b"), argument: one, awaitReply: true })));
    const replies = await Promise.all(receipts.map((r) => r.reply!(2000)));
    expect(replies.map(answer)).toEqual([1, 2, 3]);
    expect(store.batches.length - before).toBe(1);
    expect(await store.loadMessages(rt.ownedKeyGroups(), 0, 10)).toEqual([]);
  });

  it("is committed on its own when its invocation is slow: acknowledged durable before the reply, consumed once", async () => {
    const store = new CountingStore();
    const rt = await start(store);
    const receipt = await rt.ingest({ target: slow.at("s"), argument: one, awaitReply: true });
    // The ingest answered: the message is durable though its invocation still runs.
    const waiting = await store.loadMessages(rt.ownedKeyGroups(), 0, 10);
    expect(waiting.map((m) => m.target.id)).toEqual(["s"]);
    await until(() => release !== undefined);
    release!();
    expect(answer(await receipt.reply!(2000))).toBe(1);
    expect(await store.loadMessages(rt.ownedKeyGroups(), 0, 10)).toEqual([]);
    // Consumed by the commit of its effects, under the seq it was stored with.
    const consumedIn = store.batches.filter((b) => b.consumed.includes(waiting[0]!.seq));
    expect(consumedIn).toHaveLength(1);
    expect(consumedIn[0]!.replies.map((r) => r.requestId)).toEqual([receipt.requestId]);
  });

  it("is invoked once even when the inbox reads its backlog from the store meanwhile", async () => {
    const store = new CountingStore();
    runtime = new Runtime({
      store,
      modules: [statefunModule({ functions: [counter, slow] })],
      limits: { maxBufferedMessages: 2 },
    });
    const rt = runtime;
    await rt.start();
    // The early message commits in a batch that overflows the inbox (more new messages than it
    // may hold), while its consumption is not committed: the inbox reads it back from the store.
    const [slowReceipt] = await Promise.all([
      rt.ingest({ target: slow.at("s"), argument: one, awaitReply: true }),
      ...[1, 2, 3, 4, 5].map((i) => rt.ingest({ target: counter.at(`x${i}`), argument: one })),
    ]);
    await until(async () => (await rt.storeStats()).messages === 1);
    await until(() => release !== undefined);
    release!();
    expect(answer(await slowReceipt!.reply!(2000))).toBe(1);
    await until(async () => (await rt.storeStats()).messages === 0);
    expect((await rt.readState(slow.at("s"))).map((s) => answer(s))).toEqual([1]);
  });
});

/** The error better-sqlite3 throws when the disk is full (a fake only here: the tmpfs test in test/e2e throws the real one). */
const sqliteFull = () => Object.assign(new Error("database or disk is full"), { name: "SqliteError", code: "SQLITE_FULL" });

/** A store whose commits fail for lack of space while `full` is true. */
class FillableStore extends PlainStore {
  full = false;
  failedCommits = 0;
  override async commit(batch: CommitBatch): Promise<CommitResult> {
    if (this.full) {
      this.failedCommits++;
      throw sqliteFull();
    }
    return super.commit(batch);
  }
}

/** The same, as a store that commits on another thread. */
class PipelinedFillableStore extends FillableStore {
  readonly commitsOffThread = true;
}

describe.each([
  ["", FillableStore],
  [" (pipelined commits)", PipelinedFillableStore],
])("an awaited ingress request on a full disk%s", (_, Store) => {
  it("already run before its commit is kept, not refused, and its effects commit once when space returns", async () => {
    const store = new Store();
    const rt = await start(store);
    await until(async () => (await rt.storeStats()).messages === 0, "the runtime to settle");
    store.full = true;
    // Awaited and without an idempotency key: its message reaches the counter before its commit.
    const outcome = rt.ingest({ target: counter.at("a"), argument: one, awaitReply: true }).then(
      async (receipt) => answer(await receipt.reply!(10_000)),
      (error: unknown) => (StatefunError.is(error) ? error.code : String(error)),
    );
    await until(() => store.failedCommits >= 2, "the commit to fail and be retried");
    store.full = false;
    // Refusing it (507) while its invocation's effects stay queued would apply a request its
    // client was told to send again.
    expect(await outcome).toBe(1);
    await until(async () => (await rt.storeStats()).messages === 0, "the message to be consumed in the store");
    expect((await rt.readState(counter.at("a"))).map((s) => answer(s))).toEqual([1]);
    // A second request sees the first one's effect once, not twice.
    const receipt = await rt.ingest({ target: counter.at("a"), argument: one, awaitReply: true });
    expect(answer(await receipt.reply!(10_000))).toBe(2);
    await until(async () => (await rt.storeStats()).messages === 0, "the second message to be consumed in the store");
    expect((await rt.readState(counter.at("a"))).map((s) => answer(s))).toEqual([2]);
  });
});
