import { StringCodec } from "@statefun-ts/protocol";
import { egressRef, statefulFunction, statefunModule, Types } from "@statefun-ts/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { Runtime } from "./runtime.js";
import { MemoryStore } from "./store/memory-store.js";
import type { StoreStats } from "./store/types.js";

const out = egressRef("out", Types.string);
const nowhere = egressRef("nowhere", Types.string);
/** A type no module loads: messages to it wait in the store (parked), so the backlog is not zero. */
const PARKED = { namespace: "test", type: "unloaded" };

/**
 * Does what its message says: `park:N` sends N messages to an unloaded type, `later:T` sends a
 * delayed message (an hour) with token T, `soon` one that fires at once, `cancel:T` cancels,
 * `egress:N` writes N egress records, `reject` emits to an undeclared egress (a dead letter).
 */
const ops = statefulFunction({
  typename: "test/ops",
  accepts: [Types.string],
  handler(ctx, message) {
    const [op, arg = ""] = message.as(Types.string).split(":");
    if (op === "park") for (let i = 0; i < Number(arg); i++) ctx.send({ ...PARKED, id: `p${i}` } as never, Types.string, "x");
    if (op === "later") ctx.sendAfter(3_600_000, ctx.self as never, Types.string, "noop", { cancellationToken: arg });
    if (op === "soon") ctx.sendAfter(1, ctx.self as never, Types.string, "noop");
    if (op === "cancel") ctx.cancelDelayed(arg);
    if (op === "egress") for (let i = 0; i < Number(arg); i++) ctx.egress(out, `r${i}`);
    if (op === "reject") ctx.egress(nowhere, "x");
  },
});

const str = (s: string) => ({ typename: Types.string.typename, value: StringCodec.encode(s) });
const module = statefunModule({ functions: [ops], egresses: [out] });

const runtimes: Runtime[] = [];
afterEach(async () => {
  for (const rt of runtimes.splice(0)) await rt.stop();
});

async function start(store: MemoryStore, options: Partial<ConstructorParameters<typeof Runtime>[0]> = {}): Promise<Runtime> {
  const rt = new Runtime({ store, modules: [module], ...options });
  runtimes.push(rt);
  await rt.start();
  return rt;
}

async function until(check: () => Promise<boolean> | boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The store's counts, counted in its tables (not through `CountingStore.stats`). */
const truth = (store: MemoryStore) => MemoryStore.prototype.stats.call(store);

/** Waits until the store holds `expected` (every commit of the step done), then compares the in-memory counts, egress by topic included. */
async function expectCounts(rt: Runtime, store: MemoryStore, expected: StoreStats): Promise<void> {
  await until(async () => JSON.stringify(await truth(store)) === JSON.stringify(expected));
  await until(() => rt.gauges().pendingCommits === 0 && rt.gauges().inFlightInvocations === 0);
  expect(rt.storeCounts()).toEqual(expected);
  expect(rt.egressByTopic()).toEqual(await MemoryStore.prototype.egressDepth.call(store));
}

/** A store whose `stats` calls are counted. */
class CountingStore extends MemoryStore {
  statsCalls = 0;
  override stats(): Promise<StoreStats> {
    this.statsCalls++;
    return super.stats();
  }
}

describe("Runtime.storeCounts", () => {
  it("stays equal to the store's counts through sends, timers, cancellations, egress and dead letters, across a restart", async () => {
    const store = new CountingStore();
    let rt = await start(store);
    const send = (op: string, id = "a") => rt.ingest({ target: ops.at(id), argument: str(op) });
    expect(rt.storeCounts()).toEqual({ messages: 0, timers: 0, egress: 0, deadLetters: 0 });

    await send("park:5");
    await expectCounts(rt, store, { messages: 5, timers: 0, egress: 0, deadLetters: 0 });
    await send("later:t1");
    await send("later:t2", "b");
    await send("later:t3", "c");
    await expectCounts(rt, store, { messages: 5, timers: 3, egress: 0, deadLetters: 0 });
    await send("cancel:t2");
    await send("cancel:none");
    await expectCounts(rt, store, { messages: 5, timers: 2, egress: 0, deadLetters: 0 });
    await send("soon");
    await until(async () => (await truth(store)).timers === 2 && rt.gauges().bufferedMessages === 0);
    await expectCounts(rt, store, { messages: 5, timers: 2, egress: 0, deadLetters: 0 });
    await send("egress:4");
    await expectCounts(rt, store, { messages: 5, timers: 2, egress: 4, deadLetters: 0 });
    const taken = await rt.takeEgress("out");
    await taken!.ack();
    const claimed = await rt.claimEgress("out", 60_000);
    // An acknowledgement under another topic deletes nothing.
    expect(await rt.ackEgress("other", claimed!.record.id, claimed!.receipt)).toBe(false);
    expect(await rt.ackEgress("out", claimed!.record.id, claimed!.receipt)).toBe(true);
    expect(await rt.ackEgress("out", claimed!.record.id, claimed!.receipt)).toBe(false);
    const another = await rt.claimEgress("out", 60_000);
    await rt.deleteEgress([another!.record.id], "out");
    await expectCounts(rt, store, { messages: 5, timers: 2, egress: 1, deadLetters: 0 });
    await send("reject");
    await send("reject", "b");
    await send("reject", "c");
    await expectCounts(rt, store, { messages: 5, timers: 2, egress: 1, deadLetters: 3 });
    const letters = await rt.deadLetters(10);
    expect(await rt.discardDeadLetters([letters[0]!.id, letters[1]!.id])).toBe(2);
    await expectCounts(rt, store, { messages: 5, timers: 2, egress: 1, deadLetters: 1 });
    // A replayed dead letter runs again, fails again: dead-lettered again.
    expect(await rt.replayDeadLetter(letters[2]!.id)).toBe(true);
    await until(async () => (await rt.deadLetters(10)).some((d) => d.id !== letters[2]!.id));
    await expectCounts(rt, store, { messages: 5, timers: 2, egress: 1, deadLetters: 1 });

    // No read of the store's counts after the one at start.
    expect(store.statsCalls).toBe(1);

    await rt.stop();
    runtimes.splice(0);
    rt = await start(store);
    expect(rt.storeCounts()).toEqual({ messages: 5, timers: 2, egress: 1, deadLetters: 1 });
    await send("park:2", "d");
    await send("cancel:t1");
    await send("egress:2", "e");
    await expectCounts(rt, store, { messages: 7, timers: 1, egress: 3, deadLetters: 1 });
  });

  it("counts duplicate ingress requests once", async () => {
    const store = new MemoryStore();
    const rt = await start(store);
    for (let i = 0; i < 3; i++) await rt.ingest({ target: ops.at("a"), argument: str("park:1"), idempotencyKey: "k" });
    await expectCounts(rt, store, { messages: 1, timers: 0, egress: 0, deadLetters: 0 });
  });

  it("in cluster mode, shows the store-wide counts as last read, moved by the worker's own commits since", async () => {
    const store = new MemoryStore(8, { shared: true });
    const cluster = { heartbeatMs: 20, leaseMs: 400 };
    const a = await start(store, { cluster });
    const b = await start(store, { cluster });
    await until(() => a.ownedKeyGroups().length + b.ownedKeyGroups().length === 8 && a.ownedKeyGroups().length > 0);
    // Sent to an unloaded type, the messages stay in the store: `a` counts its own commits at once…
    await a.ingest({ target: ops.at("x"), argument: str("park:6") });
    await until(async () => (await store.stats()).messages === 6);
    await until(() => a.storeCounts()?.messages === 6);
    // …and `b`, which committed none of it, sees them after its next read of the store (every 30 heartbeats).
    await until(() => b.storeCounts()?.messages === 6);
    expect(b.storeCounts()).toEqual(await store.stats());
  });
});
