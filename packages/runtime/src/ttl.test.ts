import { StringCodec } from "@statefun-ts/protocol";
import { statefulFunction, Types, valueSpec } from "@statefun-ts/sdk";
import { emptyEffects } from "@statefun-ts/sdk/internal";
import { int, str, until } from "@statefun-ts/test-kit";
import { afterEach, describe, expect, it } from "vitest";
import type { Binding, StateSpecInfo } from "./binding.js";
import { OffsetClock } from "./clock.js";
import { embeddedBinding } from "./engine/embedded.js";
import type { CounterName, MetricsSink } from "./observe.js";
import { Runtime } from "./runtime.js";
import { MemoryStore } from "./store/memory-store.js";
import { INSTANCE_ROW } from "./store/types.js";

class Counters implements MetricsSink {
  readonly counts = new Map<CounterName, number>();
  count(name: CounterName, by = 1): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + by);
  }
  observe(): void {}
}

const count = valueSpec("count", Types.int);
const note = valueSpec("note", Types.string);
const counter = statefulFunction({
  typename: "ttl/counter",
  state: { count, note },
  accepts: [Types.int, Types.string],
  handler(ctx, message) {
    if (message.is(Types.string)) {
      ctx.state.note.set(message.as(Types.string));
      return;
    }
    const by = message.as(Types.int);
    ctx.state.count.set((ctx.state.count.get() ?? 0) + by);
    // A negative amount schedules +1000 to self, 50 ms (real time) later.
    if (by < 0) ctx.sendAfter(50, counter.at(ctx.self.id), Types.int, 1000);
  },
});

/** A function keeping map-like entries `after[k]` (expire after call) and `write[k]` (after write): "put K" or "touch". */
function entriesBinding(): Binding {
  const specs: StateSpecInfo[] = [
    { name: "after", typename: "t/s", expiration: { mode: "after-call", millis: 1000 } },
    { name: "write", typename: "t/s", expiration: { mode: "after-write", millis: 1000 } },
  ];
  return {
    typename: "ttl/entries",
    specs: () => specs,
    retry: { maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0 },
    invoker: {
      maxBatch: 1,
      invoke(request) {
        const effects = emptyEffects();
        const text = StringCodec.decode(request.messages[0]!.argument.value);
        if (text.startsWith("put ")) {
          const key = text.slice(4);
          effects.state.set(`after[${key}]`, str(key));
          effects.state.set(`write[${key}]`, str(key));
        }
        return effects;
      },
    },
  };
}

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

async function start(store: MemoryStore, clock: OffsetClock, metrics = new Counters(), instanceTtlMs = 1000): Promise<Runtime> {
  runtime = new Runtime({ store, clock, metrics, sweep: { intervalMs: 3_600_000 } });
  runtime.bind({ ...embeddedBinding(counter), instanceTtlMs });
  runtime.bind(entriesBinding());
  await runtime.start();
  return runtime;
}

const names = async (rt: Runtime, id: string, type = "counter") =>
  (await rt.readState({ namespace: "ttl", type, id })).map((s) => s.name).sort();
const countOf = async (rt: Runtime, id: string) => {
  const v = (await rt.readState(counter.at(id))).find((s) => s.name === "count");
  return v && Types.int.deserialize(v.value);
};
const stored = async (store: MemoryStore, id: string, type = "counter") =>
  (await store.loadState({ namespace: "ttl", type, id })).map((e) => e.name).sort();

describe("instance time-to-live", () => {
  it("hides an idle instance once its TTL passed, and the sweeper deletes all of it", async () => {
    const store = new MemoryStore();
    const clock = new OffsetClock();
    const metrics = new Counters();
    const rt = await start(store, clock, metrics);
    await rt.ingest({ target: counter.at("a"), argument: int(2) });
    await rt.ingest({ target: counter.at("a"), argument: str("hello") });
    await until(async () => (await names(rt, "a")).length === 2);
    expect(await names(rt, "a")).toEqual(["count", "note"]);
    expect(await stored(store, "a")).toEqual([INSTANCE_ROW, "count", "note"]);

    clock.advance(900);
    expect(await countOf(rt, "a")).toBe(2);
    clock.advance(200);
    expect(await rt.readState(counter.at("a"))).toEqual([]);
    expect(await stored(store, "a")).toEqual([INSTANCE_ROW, "count", "note"]);

    expect(await rt.sweepExpired()).toBe(1);
    expect(await stored(store, "a")).toEqual([]);
    expect(metrics.counts.get("instances_expired")).toBe(1);
  });

  it("starts an expired instance over: the next message finds empty state, and the old rows are gone", async () => {
    const store = new MemoryStore();
    const clock = new OffsetClock();
    const metrics = new Counters();
    const rt = await start(store, clock, metrics);
    await rt.ingest({ target: counter.at("b"), argument: int(5) });
    await rt.ingest({ target: counter.at("b"), argument: str("old") });
    await until(async () => (await names(rt, "b")).length === 2);
    clock.advance(1100);
    await rt.ingest({ target: counter.at("b"), argument: int(1) });
    await until(async () => (await countOf(rt, "b")) !== undefined);
    expect(await countOf(rt, "b")).toBe(1);
    expect(await stored(store, "b")).toEqual([INSTANCE_ROW, "count"]);
    expect(metrics.counts.get("instances_expired")).toBe(1);
    expect(await rt.sweepExpired()).toBe(0);
  });

  it("keeps an instance that is invoked within its TTL, and drops it a TTL after the last invocation", async () => {
    const store = new MemoryStore();
    const clock = new OffsetClock();
    const rt = await start(store, clock);
    for (let i = 1; i <= 3; i++) {
      await rt.ingest({ target: counter.at("c"), argument: int(1) });
      await until(async () => (await countOf(rt, "c")) === i);
      clock.advance(600);
    }
    // The last invocation was 600 ms ago.
    expect(await rt.sweepExpired()).toBe(0);
    expect(await countOf(rt, "c")).toBe(3);
    clock.advance(500);
    expect(await rt.readState(counter.at("c"))).toEqual([]);
    expect(await rt.sweepExpired()).toBe(1);
    expect(await stored(store, "c")).toEqual([]);
  });

  it("delivers a delayed message sent before the instance expired, to a fresh instance", async () => {
    const store = new MemoryStore();
    const clock = new OffsetClock();
    const rt = await start(store, clock);
    await rt.ingest({ target: counter.at("d"), argument: int(-1) });
    await until(async () => (await countOf(rt, "d")) === -1);
    clock.advance(2000);
    await until(async () => (await countOf(rt, "d")) === 1000);
    expect(await stored(store, "d")).toEqual([INSTANCE_ROW, "count"]);
  });

  it("survives a restart: an instance that expired while the runtime was down stays gone and is swept", async () => {
    const store = new MemoryStore();
    const clock = new OffsetClock();
    let rt = await start(store, clock);
    await rt.ingest({ target: counter.at("e"), argument: int(7) });
    await until(async () => (await countOf(rt, "e")) === 7);
    await rt.stop();
    clock.advance(5000);
    rt = await start(store, clock);
    expect(await rt.readState(counter.at("e"))).toEqual([]);
    expect(await rt.sweepExpired()).toBe(1);
    expect(await stored(store, "e")).toEqual([]);
  });

  it("leaves instances of a function type without TTL alone, and removes a leftover instance row", async () => {
    const store = new MemoryStore();
    const clock = new OffsetClock();
    let rt = await start(store, clock);
    await rt.ingest({ target: counter.at("f"), argument: int(1) });
    await until(async () => (await countOf(rt, "f")) === 1);
    await rt.stop();
    runtime = new Runtime({ store, clock, sweep: { intervalMs: 3_600_000 } });
    runtime.bind(embeddedBinding(counter));
    rt = runtime;
    await rt.start();
    await rt.ingest({ target: counter.at("f"), argument: int(1) });
    await until(async () => (await countOf(rt, "f")) === 2);
    clock.advance(5000);
    expect(await rt.sweepExpired()).toBe(0);
    expect(await stored(store, "f")).toEqual(["count"]);
  });
});

describe("state time-to-live of map and list entries", () => {
  it("expires entries by the spec of their state, re-touching expire-after-call entries on every invocation", async () => {
    const store = new MemoryStore();
    const clock = new OffsetClock();
    const metrics = new Counters();
    const rt = await start(store, clock, metrics);
    const at = { namespace: "ttl", type: "entries", id: "x" };
    await rt.ingest({ target: at, argument: str("put k") });
    await until(async () => (await names(rt, "x", "entries")).length === 2);
    const expiry = async () => new Map((await rt.readState(at)).map((s) => [s.name, s.expiresAt]));
    const written = await expiry();
    clock.advance(800);
    await rt.ingest({ target: at, argument: str("touch") });
    await until(async () => (await expiry()).get("after[k]") !== written.get("after[k]"));
    expect((await expiry()).get("write[k]")).toBe(written.get("write[k]"));
    clock.advance(300);
    expect(await names(rt, "x", "entries")).toEqual(["after[k]"]);
    expect(await rt.sweepExpired()).toBe(1);
    expect(await stored(store, "x", "entries")).toEqual(["after[k]"]);
    clock.advance(1000);
    expect(await names(rt, "x", "entries")).toEqual([]);
    expect(await rt.sweepExpired()).toBe(1);
    expect(await stored(store, "x", "entries")).toEqual([]);
    expect(metrics.counts.get("state_expired")).toBe(2);
  });
});
