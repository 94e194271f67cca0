import { statefulFunction, statefunModule, Types, valueSpec } from "@statefun-ts/sdk";
import { typed, until } from "@statefun-ts/test-kit";
import { afterEach, describe, expect, it } from "vitest";
import { Runtime } from "../runtime.js";
import { MemoryStore } from "../store/memory-store.js";
import type { CommitBatch, CommitResult } from "../store/types.js";

/** A memory store that keeps the batches it commits. */
class PlainStore extends MemoryStore {
  readonly batches: CommitBatch[] = [];
  override async commit(batch: CommitBatch): Promise<CommitResult> {
    this.batches.push(batch);
    return super.commit(batch);
  }
}

/** The same, as a store that queues commits (the threaded SQLite store's pipeline: several commits in flight). */
class QueuingStore extends PlainStore {
  readonly commitsOffThread = true;
  readonly queuesCommits = true;
}

const hops = valueSpec("hops", Types.int);
const seen = valueSpec("seen", Types.string);

/** Passes a count down along ids 0, 1, 2… until it reaches 0. */
const relay = statefulFunction({
  typename: "test/relay",
  state: { hops },
  accepts: [Types.int],
  handler(ctx, message) {
    ctx.state.hops.set((ctx.state.hops.get() ?? 0) + 1);
    const left = message.as(Types.int);
    if (left > 0) ctx.send(relay.at(String(Number(ctx.self.id) + 1)), Types.int, left - 1);
  },
});

/** Sends three numbered messages to `test/sink` `b` for each message n: 3n, 3n+1, 3n+2. */
const fanOut = statefulFunction({
  typename: "test/fan-out",
  accepts: [Types.int],
  handler(ctx, message) {
    const n = message.as(Types.int);
    for (let i = 0; i < 3; i++) ctx.send(sink.at("b"), Types.int, 3 * n + i);
  },
});

/** Appends every number it receives to its state. */
const sink = statefulFunction({
  typename: "test/sink",
  state: { seen },
  accepts: [Types.int],
  handler(ctx, message) {
    const before = ctx.state.seen.get();
    ctx.state.seen.set(`${before === undefined ? "" : `${before},`}${message.as(Types.int)}`);
  },
});

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

async function start(store: MemoryStore, maxBufferedMessages?: number): Promise<Runtime> {
  runtime = new Runtime({
    store,
    modules: [statefunModule({ functions: [relay, fanOut, sink] })],
    limits: maxBufferedMessages === undefined ? {} : { maxBufferedMessages },
  });
  await runtime.start();
  return runtime;
}

const int = (n: number) => typed(Types.int, n);
const stateValue = async (rt: Runtime, address: Parameters<Runtime["readState"]>[0], name: string) =>
  (await rt.readState(address)).find((v) => v.name === name)?.value;

describe.each([
  ["", PlainStore],
  [" (commits queued)", QueuingStore],
])("a message between functions of one process%s", (_, Store) => {
  it("reaches its target before its commit: sent and consumed in one batch, it is neither inserted nor deleted", async () => {
    const store = new Store();
    const rt = await start(store);
    await rt.ingest({ target: relay.at("0"), argument: int(20) });
    await until(async () => (await stateValue(rt, relay.at("20"), "hops")) !== undefined);
    await until(async () => (await rt.storeStats()).messages === 0);
    for (let id = 0; id <= 20; id++) expect(Types.int.deserialize((await stateValue(rt, relay.at(String(id)), "hops"))!)).toBe(1);
    // The ingress message is inserted; of the 20 messages between functions, none is.
    const inserted = store.batches.reduce((n, b) => n + b.messages.length, 0);
    expect(inserted).toBe(0);
  });

  it("keeps FIFO per pair when some messages wait for their commit (no room in memory) and later ones need not", async () => {
    const store = new Store();
    // The 20 requests reach `a` together, in one commit: with their three messages each, memory
    // is near its bound, so some sends wait for their commit while later ones need not.
    const rt = await start(store, 24);
    await Promise.all(Array.from({ length: 20 }, (_, n) => rt.ingest({ target: fanOut.at("a"), argument: int(n) })));
    const expected = Array.from({ length: 60 }, (_, i) => i).join(",");
    await until(async () => {
      const value = await stateValue(rt, sink.at("b"), "seen");
      return value !== undefined && Types.string.deserialize(value).split(",").length === 60;
    });
    expect(Types.string.deserialize((await stateValue(rt, sink.at("b"), "seen"))!)).toBe(expected);
    await until(async () => (await rt.storeStats()).messages === 0);
  });
});
