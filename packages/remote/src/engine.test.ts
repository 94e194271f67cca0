import { address, create, IntCodec, reqreply, StringCodec } from "@statefun-ts/protocol";
import { ManualClock, Runtime } from "@statefun-ts/runtime";
import { MemoryStore } from "@statefun-ts/runtime/testing";
import { egressRef, statefunModule, Types } from "@statefun-ts/sdk";
import { until } from "@statefun-ts/test-kit";
import { afterEach, describe, expect, it } from "vitest";
import { type RemoteBinding, remoteBinding } from "./binding.js";
import { type FakeEndpoint, fakeEndpoint, incomplete, result } from "./fixtures/fake-endpoint.js";
import { str, text } from "./fixtures/invoke.js";

const INT = "io.statefun.types/int";
const wire = (v: { typename: string; value: Uint8Array }) => ({ typename: v.typename, hasValue: true, value: v.value });
const json = (value: unknown) => ({
  typename: "io.statefun.playground/EgressRecord",
  hasValue: true,
  value: new TextEncoder().encode(JSON.stringify(value)),
});

let runtime: Runtime | undefined;
const cleanup: (RemoteBinding | FakeEndpoint)[] = [];
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
  for (const c of cleanup.splice(0)) await c.close();
});

describe("remote functions in a runtime", () => {
  it("batch an address's messages while a request is in flight, commit the effects, and dead-letter a failing endpoint without stalling others", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    // A counter: registers "count", adds the batch size, forwards "fwd:<id>" and writes a playground egress record.
    const counter = await fakeEndpoint(async (batch) => {
      if (batch.state.length === 0) return incomplete(["count", INT]);
      const id = batch.target!.id;
      if (id === "a" && text(batch.invocations[0]!.argument) === "fwd:c") await gate;
      const before = batch.state[0]!.stateValue;
      const count = (before ? IntCodec.decode(before.value) : 0) + batch.invocations.length;
      const forwards = batch.invocations.map((i) => text(i.argument)!).filter((t) => t.startsWith("fwd:"));
      return result({
        stateMutations: [
          { mutationType: 1, stateName: "count", stateValue: { typename: INT, hasValue: true, value: IntCodec.encode(count) } },
        ],
        outgoingMessages: forwards.map((t) => ({
          target: { namespace: "py", type: "counter", id: t.slice(4) },
          argument: wire(str("hi")),
        })),
        outgoingEgresses: [
          {
            egressNamespace: "io.statefun.playground",
            egressType: "egress",
            argument: json({ topic: "counts", payload: `${id}=${count}` }),
          },
        ],
      });
    });
    const failing = await fakeEndpoint(() => ({ status: 500, body: "Traceback: boom" }));
    cleanup.push(counter, failing);

    runtime = new Runtime({ store: new MemoryStore(), modules: [statefunModule({ egresses: [egressRef("counts", Types.string)] })] });
    const rt = runtime;
    await rt.start();
    const counterBinding = remoteBinding({ functions: "py/*", urlPathTemplate: counter.url }, { specs: rt.stateSpecs });
    const failingBinding = remoteBinding(
      { functions: "bad/fn", urlPathTemplate: failing.url, timeouts: { callMs: 1000 } },
      { specs: rt.stateSpecs },
    );
    cleanup.unshift(counterBinding, failingBinding);
    rt.bind(counterBinding);
    rt.bind(failingBinding);
    const count = async (id: string) => {
      const v = (await rt.readState(address("py/counter", id))).find((s) => s.name === "count");
      return v && IntCodec.decode(v.value);
    };

    await rt.ingest({ target: address("bad/fn", "x"), argument: str("doomed") });
    await rt.ingest({ target: address("py/counter", "a"), argument: str("fwd:c") });
    await until(() => counter.batches.length === 2); // the handshake, then the held request
    for (const n of [1, 2, 3, 4]) await rt.ingest({ target: address("py/counter", "a"), argument: str(`m${n}`) });
    for (const n of [1, 2, 3]) await rt.ingest({ target: address("py/counter", "b"), argument: str(`m${n}`) });
    await until(async () => (await count("b")) !== undefined);
    // Nothing of the counter's dead-lettered (the failing function's own batch may be by now, on a
    // slow machine past its 1 s budget: that is checked below, whenever it happened).
    expect((await rt.deadLetters(10)).filter((l) => l.message.target.namespace === "py")).toEqual([]);
    release();

    await until(async () => (await count("a")) === 5 && (await count("c")) === 1 && (await count("b")) === 3);
    const batchesOfA = counter.batches.filter((b) => b.target!.id === "a").map((b) => b.invocations.map((i) => text(i.argument)));
    expect(batchesOfA).toEqual([["fwd:c"], ["fwd:c"], ["m1", "m2", "m3", "m4"]]);
    expect(rt.stateSpecs.get("py/counter")).toEqual([{ name: "count", typename: INT, expiration: { mode: "none" } }]);
    const records: string[] = [];
    for (let r = await rt.takeEgress("counts"); r; r = await rt.takeEgress("counts")) {
      records.push(StringCodec.decode(r.record.argument.value));
      await r.ack();
    }
    expect(records).toContain("a=1");
    expect(records).toContain("a=5");
    expect(records).toContain("c=1");

    await until(async () => (await rt.deadLetters(10)).length === 1);
    const [letter] = await rt.deadLetters(10);
    expect(letter!.message.target).toEqual(address("bad/fn", "x"));
    expect(letter!.error).toMatch(
      /^rejected: bad\/fn at http:\/\/127\.0\.0\.1:\d+\/statefun: failed \d+ attempts over \d\.\ds, last: HTTP 500: Traceback: boom$/,
    );
    // The dead letter counts the requests its message was sent in, as its reason says.
    expect(String(letter!.attempts)).toBe(/failed (\d+) attempts/.exec(letter!.error)![1]);
    expect(letter!.attempts).toBeGreaterThan(1);
    expect(failing.batches.length).toBeGreaterThan(2);
  });
});

describe("a 2xx response that carries nothing", () => {
  it.each([
    ["an empty body", () => ({ status: 200, body: "", contentType: "application/octet-stream" })],
    ["an empty FromFunction", () => create(reqreply.FromFunctionSchema, {})],
  ] as const)("is a protocol error: retried within the call budget, then dead-lettered with the reason (%s)", async (_, answer) => {
    const empty = await fakeEndpoint(answer);
    cleanup.push(empty);
    runtime = new Runtime({ store: new MemoryStore() });
    const rt = runtime;
    await rt.start();
    const binding = remoteBinding(
      { functions: "py/empty", urlPathTemplate: empty.url, timeouts: { callMs: 300 } },
      { specs: rt.stateSpecs },
    );
    cleanup.unshift(binding);
    rt.bind(binding);
    await rt.ingest({ target: address("py/empty", "x"), argument: str("lost?") });
    await until(async () => (await rt.deadLetters(10)).length === 1);
    const [letter] = await rt.deadLetters(10);
    expect(letter!.message.target).toEqual(address("py/empty", "x"));
    expect(letter!.error).toMatch(
      /^rejected: py\/empty at http:\/\/127\.0\.0\.1:\d+\/statefun: failed \d+ attempts over \d\.\ds, last: .*carries neither an invocation result nor a state registration request/,
    );
    expect(empty.batches.length).toBeGreaterThan(1);
  });
});

describe("a remote function's record for an egress no loaded module declares", () => {
  it("dead-letters the batch with the egress named, and stores nothing of it", async () => {
    const fn = await fakeEndpoint((batch) =>
      result({
        outgoingEgresses: [
          batch.target!.id === "kafka"
            ? { egressNamespace: "example", egressType: "out", argument: wire(str("x")) }
            : { egressNamespace: "io.statefun.playground", egressType: "egress", argument: json({ topic: "nobody", payload: "x" }) },
        ],
      }),
    );
    cleanup.push(fn);
    runtime = new Runtime({ store: new MemoryStore(), modules: [statefunModule({ egresses: [egressRef("counts", Types.string)] })] });
    const rt = runtime;
    await rt.start();
    const binding = remoteBinding({ functions: "py/*", urlPathTemplate: fn.url }, { specs: rt.stateSpecs });
    cleanup.unshift(binding);
    rt.bind(binding);
    await rt.ingest({ target: address("py/fn", "playground"), argument: str("a") });
    await rt.ingest({ target: address("py/fn", "kafka"), argument: str("b") });
    await until(async () => (await rt.deadLetters(10)).length === 2);
    const errors = (await rt.deadLetters(10)).map((l) => `${l.message.target.id}: ${l.error}`).sort();
    expect(errors).toEqual([
      'kafka: rejected: py/fn emitted a record to egress example/out, which no loaded module declares (declared: io.statefun.playground/egress topic "counts")',
      'playground: rejected: py/fn emitted a record to egress io.statefun.playground/egress topic "nobody", which no loaded module declares (declared: io.statefun.playground/egress topic "counts")',
    ]);
    expect((await rt.storeStats()).egress).toBe(0);
  });
});

describe("a remote binding's requests in flight", () => {
  it("are at most poolSize: an address past it waits and sends what arrived meanwhile in one batch", async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let inFlight = 0;
    let most = 0;
    const endpoint = await fakeEndpoint(async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await held;
      inFlight--;
      return result();
    });
    cleanup.push(endpoint);
    runtime = new Runtime({ store: new MemoryStore() });
    const binding = remoteBinding({ functions: "py/*", urlPathTemplate: endpoint.url, poolSize: 2 }, { specs: runtime.stateSpecs });
    cleanup.push(binding);
    runtime.bind(binding);
    await runtime.start();
    const at = (id: string) => address("py/counter", id);
    for (const id of ["a", "b", "c"]) await runtime.ingest({ target: at(id), argument: str("1") });
    await until(() => endpoint.batches.length === 2, "two requests");
    for (const n of ["2", "3"]) await runtime.ingest({ target: at("c"), argument: str(n) });
    release();
    await until(() => endpoint.batches.length === 3, "c's request");
    expect(endpoint.batches.map((b) => `${b.target!.id}:${b.invocations.length}`)).toEqual(["a:1", "b:1", "c:3"]);
    expect(most).toBe(2);
  });

  it("a call backing off between attempts gives its slot to another address", async () => {
    const endpoint = await fakeEndpoint((batch) => (batch.target!.id === "x" ? { status: 503, body: "busy" } : result()));
    cleanup.push(endpoint);
    runtime = new Runtime({ store: new MemoryStore() });
    const binding = remoteBinding(
      { functions: "py/*", urlPathTemplate: endpoint.url, poolSize: 1, timeouts: { callMs: 600_000 } },
      { specs: runtime.stateSpecs },
    );
    cleanup.push(binding);
    runtime.bind(binding);
    await runtime.start();
    await runtime.ingest({ target: address("py/counter", "x"), argument: str("1") });
    await until(() => endpoint.batches.length >= 1, "x's first attempt");
    await runtime.ingest({ target: address("py/counter", "y"), argument: str("1") });
    await until(() => endpoint.batches.some((b) => b.target!.id === "y"), "y's request while x retries");
    await binding.close({ abort: true });
  });
});

describe("a remote function's cancellation tokens", () => {
  // StateFun keeps delayed messages, and the index of their cancellation tokens, in the keyed
  // state of the id that sent them (its operators are keyed by address id): a token names a
  // delayed message of the sending id, and instances may all use the same one ("timeout").
  it("are scoped by the sender's id, as in StateFun: cancelling a token cancels only the messages that id sent with it", async () => {
    const delayed = (token: string, id: string) => ({
      delayInMs: 50n,
      target: { namespace: "py", type: "sink", id },
      argument: wire(str(`fired ${id}`)),
      cancellationToken: token,
    });
    const timer = await fakeEndpoint((batch) => {
      const [op, token] = text(batch.invocations[0]!.argument)!.split(":") as [string, string];
      const id = batch.target!.id;
      return result({
        delayedInvocations: [op === "arm" ? delayed(token, id) : { isCancellationRequest: true, cancellationToken: token }],
      });
    });
    const sink = await fakeEndpoint(() => result());
    cleanup.push(timer, sink);
    const clock = new ManualClock();
    runtime = new Runtime({ store: new MemoryStore(), clock });
    const rt = runtime;
    await rt.start();
    const timerBinding = remoteBinding({ functions: "py/timer", urlPathTemplate: timer.url }, { specs: rt.stateSpecs });
    const sinkBinding = remoteBinding({ functions: "py/sink", urlPathTemplate: sink.url }, { specs: rt.stateSpecs });
    cleanup.unshift(timerBinding, sinkBinding);
    rt.bind(timerBinding);
    rt.bind(sinkBinding);

    await rt.ingest({ target: address("py/timer", "1"), argument: str("arm:timeout") });
    await rt.ingest({ target: address("py/timer", "2"), argument: str("arm:timeout") });
    await until(async () => (await rt.storeStats()).timers === 2, "both delayed messages stored");
    await rt.ingest({ target: address("py/timer", "1"), argument: str("cancel:timeout") });
    await until(async () => (await rt.storeStats()).timers === 1, "the delayed message of id 1 cancelled");
    clock.advance(100);
    await until(() => sink.batches.length === 1, "the delayed message of id 2 delivered");
    await until(async () => (await rt.storeStats()).timers === 0 && (await rt.storeStats()).messages === 0, "nothing left to run");
    expect(sink.batches.map((b) => text(b.invocations[0]!.argument))).toEqual(["fired 2"]);
  });
});
