import type { TypedValue } from "@statefun-ts/protocol";
import { egressRef, jsonType, statefulFunction, statefunModule, Types, valueSpec } from "@statefun-ts/sdk";
import { str, typed, until } from "@statefun-ts/test-kit";
import { afterEach, describe, expect, it } from "vitest";
import { type Clock, ManualClock } from "./clock.js";
import { Runtime } from "./runtime.js";
import { MemoryStore } from "./store/memory-store.js";

const Add = jsonType<{ by: number; forward?: string; delayMs?: number; token?: string; cancel?: string }>("test/Add");
const count = valueSpec("count", Types.int);
const log = valueSpec("log", Types.string);
const done = egressRef("done", Types.string);

const counter = statefulFunction({
  typename: "test/counter",
  state: { count, log },
  accepts: [Add, Types.string],
  handler(ctx, message) {
    if (message.is(Types.string)) {
      ctx.state.log.set(`${ctx.state.log.get() ?? ""}${message.as(Types.string)},`);
      return;
    }
    const add = message.as(Add);
    const next = (ctx.state.count.get() ?? 0) + add.by;
    ctx.state.count.set(next);
    if (add.forward) ctx.send(counter.at(add.forward), Add, { by: add.by });
    if (add.delayMs !== undefined && add.forward) {
      ctx.sendAfter(add.delayMs, counter.at(add.forward), Add, { by: 1000 }, add.token ? { cancellationToken: add.token } : {});
    }
    if (add.cancel) ctx.cancelDelayed(add.cancel);
    if (ctx.caller?.namespace === "statefun.ingress") ctx.reply(Types.int, next);
    ctx.egress(done, `${ctx.self.id}=${next}`);
  },
});

let attemptsSeen = 0;
const flaky = statefulFunction({
  typename: "test/flaky",
  accepts: [Types.string],
  retry: { maxAttempts: 3, initialBackoff: 5 },
  handler(_ctx, message) {
    attemptsSeen++;
    if (message.as(Types.string) === "fail") throw new Error("boom");
  },
});

const add = (v: Parameters<typeof Add.serialize>[0]): TypedValue => typed(Add, v);

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

async function start(store = new MemoryStore(), limits = {}, clock?: Clock) {
  runtime = new Runtime({ store, clock, modules: [statefunModule({ functions: [counter, flaky], egresses: [done] })], limits });
  await runtime.start();
  return runtime;
}

async function countOf(rt: Runtime, id: string): Promise<number | undefined> {
  const v = (await rt.readState(counter.at(id))).find((s) => s.name === "count");
  return v && Types.int.deserialize(v.value);
}

describe("Runtime", () => {
  it("runs a function, commits its state, sends, and replies to an awaiting caller", async () => {
    const rt = await start();
    const receipt = await rt.ingest({ target: counter.at("a"), argument: add({ by: 2, forward: "b" }), awaitReply: true });
    const reply = await receipt.reply!(2000);
    expect(reply && Types.int.deserialize(reply.value)).toBe(2);
    await until(async () => (await countOf(rt, "b")) === 2);
    expect(await countOf(rt, "a")).toBe(2);
    expect((await rt.getReply(receipt.requestId))?.typename).toBe(Types.int.typename);
    const first = await rt.takeEgress("done");
    expect(first && Types.string.deserialize(first.record.argument.value)).toBe("a=2");
    await first?.ack();
  });

  it("keeps FIFO order per sender and receiver", async () => {
    const rt = await start();
    for (let i = 0; i < 50; i++) await rt.ingest({ target: counter.at("fifo"), argument: str(String(i)) });
    await until(async () => (await rt.readState(counter.at("fifo"))).some((s) => Types.string.deserialize(s.value).endsWith("49,")));
    const logged = (await rt.readState(counter.at("fifo"))).find((s) => s.name === "log")!;
    expect(Types.string.deserialize(logged.value)).toBe(`${Array.from({ length: 50 }, (_, i) => i).join(",")},`);
  });

  it("deduplicates ingress requests by idempotency key", async () => {
    const rt = await start();
    const a = await rt.ingest({ target: counter.at("k"), argument: add({ by: 1 }), idempotencyKey: "x" });
    const b = await rt.ingest({ target: counter.at("k"), argument: add({ by: 1 }), idempotencyKey: "x" });
    expect(b).toMatchObject({ duplicate: true, requestId: a.requestId });
    await until(async () => (await countOf(rt, "k")) === 1);
    // Nothing left to deliver: a second copy would have been in the inbox until it ran.
    await until(async () => (await rt.storeStats()).messages === 0, "an empty inbox");
    expect(await countOf(rt, "k")).toBe(1);
  });

  it("fires delayed messages and never delivers a cancelled one", async () => {
    const clock = new ManualClock();
    const rt = await start(new MemoryStore(), {}, clock);
    await rt.ingest({ target: counter.at("d1"), argument: add({ by: 1, forward: "t1", delayMs: 30 }) });
    await rt.ingest({ target: counter.at("d2"), argument: add({ by: 1, forward: "t2", delayMs: 60, token: "tok" }) });
    await rt.ingest({ target: counter.at("d3"), argument: add({ by: 1, cancel: "tok" }) });
    await until(async () => (await countOf(rt, "t2")) === 1 && (await rt.storeStats()).messages === 0, "the sends of d1, d2, d3");
    // Past both due times: the first fires, the cancelled one is gone, and nothing is left to run.
    clock.advance(120);
    await until(async () => (await countOf(rt, "t1")) === 1001);
    await until(async () => {
      const stats = await rt.storeStats();
      return stats.messages === 0 && stats.timers === 0;
    }, "no message nor timer left");
    expect(await countOf(rt, "t2")).toBe(1);
  });

  it("retries a failing function with backoff, then dead-letters it while others flow", async () => {
    const rt = await start();
    attemptsSeen = 0;
    await rt.ingest({ target: flaky.at("x"), argument: str("fail") });
    await rt.ingest({ target: counter.at("other"), argument: add({ by: 5 }) });
    await until(async () => (await rt.deadLetters(10)).length === 1);
    expect(attemptsSeen).toBe(3);
    expect(await countOf(rt, "other")).toBe(5);
    const [letter] = await rt.deadLetters(10);
    expect(letter?.error).toContain("boom");
    expect(letter?.attempts).toBe(3);
  });

  it("rejects a type an embedded function does not accept at the ingress", async () => {
    const rt = await start();
    await expect(rt.ingest({ target: flaky.at("x"), argument: add({ by: 1 }) })).rejects.toMatchObject({ code: "STATEFUN_BAD_MESSAGE" });
  });

  it("dead-letters a message whose bytes do not match its type", async () => {
    const rt = await start();
    await rt.ingest({ target: counter.at("bad"), argument: { typename: Add.typename, value: new TextEncoder().encode("{nope") } });
    await until(async () => (await rt.deadLetters(10)).length === 1);
    const [letter] = await rt.deadLetters(10);
    expect(letter?.error).toContain("invalid JSON for test/Add");
    expect(letter?.attempts).toBe(1);
    expect(await rt.replayDeadLetter(letter!.id)).toBe(true);
    expect(await rt.replayDeadLetter(letter!.id)).toBe(false);
  });

  it("works through a backlog larger than memory allows, in pages from the store", async () => {
    const store = new MemoryStore();
    const rt = await start(store, { maxBufferedMessages: 16 });
    const ids = Array.from({ length: 200 }, (_, i) => `m${i % 20}`);
    await Promise.all(ids.map((id) => rt.ingest({ target: counter.at(id), argument: add({ by: 1 }) })));
    await until(async () => (await store.stats()).messages === 0);
    for (let i = 0; i < 20; i++) expect(await countOf(rt, `m${i}`)).toBe(10);
    expect(rt.gauges().bufferedMessages).toBe(0);
  });

  it("answers STATEFUN_OVERLOADED instead of growing a backlog past its bound", async () => {
    const slow = await start(new MemoryStore(), { maxBacklog: 5 });
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => slow.ingest({ target: flaky.at(`o${i}`), argument: str("fail") })),
    );
    const rejected = results.filter((r) => r.status === "rejected");
    expect(rejected.length).toBeGreaterThan(0);
    expect((rejected[0] as PromiseRejectedResult).reason).toMatchObject({ code: "STATEFUN_OVERLOADED", terminal: false });
  });

  it("runs a bound invoker with batches of an address's queued messages, and binds whole namespaces", async () => {
    const rt = await start();
    const seen: string[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    rt.bind({
      typename: "remote/*",
      specs: () => [],
      retry: { maxAttempts: 1, initialBackoffMs: 1, maxBackoffMs: 1 },
      invoker: {
        maxBatch: 3,
        async invoke(request) {
          seen.push(request.messages.map((m) => Types.string.deserialize(m.argument.value)));
          await gate;
          return { messages: [], delayed: [], egress: [], state: new Map() };
        },
      },
    });
    for (let i = 0; i < 5; i++) await rt.ingest({ target: { namespace: "remote", type: "anything", id: "x" }, argument: str(`m${i}`) });
    await until(() => seen.length === 1);
    release();
    await until(() => seen.flat().length === 5);
    expect(seen[0]).toEqual(["m0"]);
    expect(seen.slice(1).every((b) => b.length <= 3)).toBe(true);
    expect(seen.flat()).toEqual(["m0", "m1", "m2", "m3", "m4"]);
  });

  it("recovers pending messages and timers from the store after a restart", async () => {
    const store = new MemoryStore();
    const rt = await start(store);
    await rt.ingest({ target: counter.at("r"), argument: add({ by: 1, forward: "later", delayMs: 100 }) });
    await until(async () => (await countOf(rt, "later")) === 1);
    await rt.stop();
    runtime = undefined;
    const again = await start(store);
    await until(async () => (await countOf(again, "later")) === 1001);
  });
});
