import { StatefunError } from "@statefun-ts/protocol";
import { statefulFunction, statefunModule, Types, valueSpec } from "@statefun-ts/sdk";
import { typed, until } from "@statefun-ts/test-kit";
import { afterEach, describe, expect, it } from "vitest";
import { Runtime } from "../runtime.js";
import { MemoryStore } from "../store/memory-store.js";
import type { CommitBatch, CommitResult } from "../store/types.js";

/** The error better-sqlite3 throws when the disk is full (a fake only here: the tmpfs test in test/e2e throws the real one). */
const sqliteFull = () => Object.assign(new Error("database or disk is full"), { name: "SqliteError", code: "SQLITE_FULL" });

/** A memory store whose commits fail for lack of space while `full` is true. */
class FillableStore extends MemoryStore {
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

/** The same, as a store that commits on another thread (the commit pipeline overlaps commits and invocations). */
class PipelinedFillableStore extends FillableStore {
  readonly commitsOffThread = true;
}

const count = valueSpec("count", Types.int);
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

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

async function start(store: MemoryStore): Promise<Runtime> {
  runtime = new Runtime({ store, modules: [statefunModule({ functions: [counter] })] });
  await runtime.start();
  return runtime;
}

const countOf = async (rt: Runtime, id: string) => {
  const value = (await rt.readState(counter.at(id))).find((v) => v.name === "count")?.value;
  return value === undefined ? undefined : Types.int.deserialize(value);
};

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
    const outcome = rt.ingest({ target: counter.at("a"), argument: typed(Types.int, 1), awaitReply: true }).then(
      async (receipt) => Types.int.deserialize((await receipt.reply!(10_000))!.value),
      (error: unknown) => (StatefunError.is(error) ? error.code : String(error)),
    );
    await until(() => store.failedCommits >= 2, "the commit to fail and be retried");
    store.full = false;
    // Refusing it (507) while its invocation's effects stay queued would apply a request its
    // client was told to send again.
    expect(await outcome).toBe(1);
    await until(async () => (await rt.storeStats()).messages === 0, "the message to be consumed in the store");
    expect(await countOf(rt, "a")).toBe(1);
    // A second request sees the first one's effect once, not twice.
    const receipt = await rt.ingest({ target: counter.at("a"), argument: typed(Types.int, 1), awaitReply: true });
    expect(Types.int.deserialize((await receipt.reply!(10_000))!.value)).toBe(2);
    await until(async () => (await rt.storeStats()).messages === 0, "the second message to be consumed in the store");
    expect(await countOf(rt, "a")).toBe(2);
  });
});
