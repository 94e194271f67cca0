import { StringCodec } from "@statefun-ts/protocol";
import { statefulFunction, statefunModule, Types, valueSpec } from "@statefun-ts/sdk";
import { str, until } from "@statefun-ts/test-kit";
import { afterEach, describe, expect, it } from "vitest";
import type { Binding } from "./binding.js";
import { embeddedBinding } from "./engine/embedded.js";
import { Runtime } from "./runtime.js";
import { MemoryStore } from "./store/memory-store.js";

const seen = valueSpec("seen", Types.string);

/** A function of type `test/log` appending every message to its state, tagged with `version`. */
function logger(version: string, typename = "test/log") {
  return statefulFunction({
    typename,
    state: { seen },
    accepts: [Types.string],
    handler(ctx, message) {
      ctx.state.seen.set(`${ctx.state.seen.get() ?? ""}${version}:${message.as(Types.string)},`);
    },
  });
}

const at = (id: string, type = "log") => ({ namespace: "test", type, id });

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

async function stateOf(r: Runtime, id: string, type = "log"): Promise<string> {
  const [view] = await r.readState(at(id, type));
  return view === undefined ? "" : StringCodec.decode(view.value);
}

describe("parking and dynamic bindings", () => {
  it("keeps messages to an unbound type, counts them, and delivers them in order once a module is loaded", async () => {
    const store = new MemoryStore();
    runtime = new Runtime({ store, limits: { maxBufferedMessages: 8 } });
    await runtime.start();
    for (let i = 0; i < 30; i++) await runtime.ingest({ target: at(`k${i % 3}`), argument: str(String(i)) });
    await until(() => runtime!.parkedByType().get("test/log") === 30);
    expect(runtime.gauges().parkedMessages).toBe(30);
    expect((await store.parkedTypes()).has("test/log")).toBe(true);
    // Later messages race with the recovery: all of them must arrive once, in order per address.
    runtime.load(statefunModule({ functions: [logger("v1")] }));
    for (let i = 30; i < 60; i++) await runtime.ingest({ target: at(`k${i % 3}`), argument: str(String(i)) });
    await until(async () => (await store.stats()).messages === 0);
    for (let k = 0; k < 3; k++) {
      const expected = Array.from({ length: 20 }, (_, j) => `v1:${j * 3 + k},`).join("");
      expect(await stateOf(runtime, `k${k}`)).toBe(expected);
    }
    expect(runtime.parkedByType().size).toBe(0);
    await until(async () => (await store.parkedTypes()).size === 0);
  });

  it("feeds parked messages in reads as large as the buffers have room for, not a fixed page", async () => {
    // A store whose reads wait behind its commits in flight (the embedded store's thread) would
    // otherwise feed the engine one small page per commit.
    const limits: number[] = [];
    class Recording extends MemoryStore {
      override loadMessagesOfType(...args: Parameters<MemoryStore["loadMessagesOfType"]>) {
        limits.push(args[4]);
        return super.loadMessagesOfType(...args);
      }
    }
    const store = new Recording();
    runtime = new Runtime({ store, limits: { maxBufferedMessages: 4_000 } });
    await runtime.start();
    for (let i = 0; i < 1_500; i++) await runtime.ingest({ target: at(`k${i % 50}`), argument: str(String(i)) });
    await until(() => runtime!.parkedByType().get("test/log") === 1_500);
    runtime.load(statefunModule({ functions: [logger("v1")] }));
    await until(async () => (await store.stats()).messages === 0);
    expect(limits.length).toBeGreaterThan(0);
    // One read took all 1,500 (the buffers were empty: room for 4,000).
    expect(limits[0]).toBe(4_000);
    const k0 = await stateOf(runtime, "k0");
    expect(k0).toBe(Array.from({ length: 30 }, (_, j) => `v1:${j * 50},`).join(""));
  });

  it("replaces a binding (state kept), parks messages after an unbind, and delivers them on a new bind", async () => {
    const store = new MemoryStore();
    const v1 = statefunModule({ functions: [logger("v1")] });
    runtime = new Runtime({ store, modules: [v1] });
    await runtime.start();
    await runtime.ingest({ target: at("a"), argument: str("1") });
    await until(async () => (await stateOf(runtime!, "a")) === "v1:1,");
    const v2 = statefunModule({ functions: [logger("v2")] });
    runtime.load(v2);
    runtime.unload(v1); // the newer module's function stays
    await runtime.ingest({ target: at("a"), argument: str("2") });
    await until(async () => (await stateOf(runtime!, "a")) === "v1:1,v2:2,");
    runtime.unload(v2);
    expect(runtime.functionTypes()).toEqual([]);
    await runtime.ingest({ target: at("a"), argument: str("3") });
    await until(() => runtime!.parkedByType().get("test/log") === 1);
    runtime.load(statefunModule({ functions: [logger("v3")] }));
    await until(async () => (await stateOf(runtime!, "a")) === "v1:1,v2:2,v3:3,");
  });

  it("delivers parked messages of every type of a namespace bound with ns/*", async () => {
    const store = new MemoryStore();
    runtime = new Runtime({ store });
    await runtime.start();
    await runtime.ingest({ target: at("a", "one"), argument: str("x") });
    await runtime.ingest({ target: at("a", "two"), argument: str("y") });
    await until(() => runtime!.gauges().parkedMessages === 2);
    const both = [logger("n", "test/one"), logger("n", "test/two")];
    runtime.bind(namespaceBinding("test/*", both));
    await until(async () => (await stateOf(runtime!, "a", "one")) === "n:x," && (await stateOf(runtime!, "a", "two")) === "n:y,");
  });

  it("delivers a delayed message that fell due while its type had no binding, once bound", async () => {
    const store = new MemoryStore();
    const sender = statefulFunction({
      typename: "test/sender",
      accepts: [Types.string],
      handler(ctx, message) {
        ctx.sendAfter(30, { namespace: "test", type: "log", id: "a" } as never, Types.string, message.as(Types.string));
      },
    });
    runtime = new Runtime({ store, modules: [statefunModule({ functions: [sender] })] });
    await runtime.start();
    await runtime.ingest({ target: at("s", "sender"), argument: str("later") });
    await until(() => runtime!.parkedByType().get("test/log") === 1);
    runtime.load(statefunModule({ functions: [logger("v1")] }));
    await until(async () => (await stateOf(runtime!, "a")) === "v1:later,");
    expect((await store.stats()).timers).toBe(0);
  });

  it("dead-letters messages parked longer than the park timeout, naming the type", async () => {
    const store = new MemoryStore();
    runtime = new Runtime({ store, parkTimeoutMs: 200 });
    await runtime.start();
    await runtime.ingest({ target: at("a"), argument: str("late") });
    await until(async () => (await store.stats()).deadLetters === 1);
    const [letter] = await runtime.deadLetters(10);
    expect(letter?.error).toContain("no function was loaded for test/log within the park timeout");
    expect((await store.stats()).messages).toBe(0);
    expect(runtime.parkedByType().size).toBe(0);
  });

  it("recovers parked messages after a restart: the park time is durable, and a bind delivers them", async () => {
    const store = new MemoryStore();
    runtime = new Runtime({ store });
    await runtime.start();
    await runtime.ingest({ target: at("a"), argument: str("1") });
    await until(() => runtime!.parkedByType().get("test/log") === 1);
    await runtime.stop();
    runtime = new Runtime({ store });
    await runtime.start();
    await until(() => runtime!.parkedByType().get("test/log") === 1);
    runtime.load(statefunModule({ functions: [logger("v1")] }));
    await until(async () => (await stateOf(runtime!, "a")) === "v1:1,");
  });
});

/** One binding running each function of `fns` by its type, as a remote namespace endpoint does. */
function namespaceBinding(typename: string, fns: ReturnType<typeof logger>[]): Binding {
  const byType = new Map(fns.map((fn) => [fn.typename, embeddedBinding(fn)]));
  const of = (type: string) => byType.get(type)!;
  return {
    typename,
    specs: (type) => of(type).specs(type),
    retry: { maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0 },
    invoker: { maxBatch: 1, invoke: (request) => of(request.functionType).invoker.invoke(request) },
  };
}
