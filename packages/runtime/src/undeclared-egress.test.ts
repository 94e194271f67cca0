import { StringCodec } from "@statefun-ts/protocol";
import { egressRef, statefulFunction, statefunModule, Types, valueSpec } from "@statefun-ts/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { Runtime } from "./runtime.js";
import { MemoryStore } from "./store/memory-store.js";

const declared = egressRef("declared", Types.string);
const nowhere = egressRef("nowhere", Types.string);
const otherKind = egressRef("out", Types.string, "example/queue");
const seen = valueSpec("seen", Types.int);

/** Emits to the egress its message names, and counts its invocations in state. */
const emitter = statefulFunction({
  typename: "test/emitter",
  state: { seen },
  accepts: [Types.string],
  handler(ctx, message) {
    ctx.state.seen.set((ctx.state.seen.get() ?? 0) + 1);
    const to = message.as(Types.string);
    ctx.egress(to === "declared" ? declared : to === "other-kind" ? otherKind : nowhere, `from ${ctx.self.id}`);
  },
});

const str = (s: string) => ({ typename: Types.string.typename, value: StringCodec.encode(s) });

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

async function until(check: () => Promise<boolean> | boolean, ms = 5000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("a record for an egress no loaded module declares", () => {
  it("fails its invocation terminally: dead-lettered with the egress and topic, nothing of the invocation stored", async () => {
    const rt = new Runtime({
      store: new MemoryStore(),
      modules: [statefunModule({ functions: [emitter], egresses: [declared, otherKind] })],
    });
    runtime = rt;
    await rt.start();
    await rt.ingest({ target: emitter.at("a"), argument: str("nowhere") });
    await until(async () => (await rt.deadLetters(10)).length === 1);
    const [letter] = await rt.deadLetters(10);
    expect(letter!.attempts).toBe(1);
    expect(letter!.error).toBe(
      'rejected: test/emitter emitted a record to egress io.statefun.playground/egress topic "nowhere", which no loaded module declares (declared: example/queue topic "out", io.statefun.playground/egress topic "declared")',
    );
    expect(await rt.readState(emitter.at("a"))).toEqual([]);
    expect((await rt.storeStats()).egress).toBe(0);

    await rt.ingest({ target: emitter.at("b"), argument: str("declared") });
    await rt.ingest({ target: emitter.at("c"), argument: str("other-kind") });
    await until(async () => (await rt.storeStats()).egress === 2);
    expect((await rt.deadLetters(10)).length).toBe(1);
  });

  it("is accepted for an egress declared without a topic in the record, when a module declares that egress", async () => {
    const rt = new Runtime({ store: new MemoryStore(), modules: [statefunModule({ egresses: [otherKind] })] });
    runtime = rt;
    await rt.start();
    // A remote function names only the egress (e.g. a Kafka egress id); its record has no topic.
    rt.bind({
      typename: "remote/fn",
      specs: () => [],
      retry: { maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0 },
      invoker: {
        maxBatch: 1,
        invoke: (request) => ({
          messages: [],
          delayed: [],
          state: new Map(),
          egress: [{ egress: request.address.id === "ok" ? "example/queue" : "example/unknown", topic: "", argument: str("x") }],
        }),
      },
    });
    await rt.ingest({ target: { namespace: "remote", type: "fn", id: "ok" }, argument: str("go") });
    await rt.ingest({ target: { namespace: "remote", type: "fn", id: "bad" }, argument: str("go") });
    await until(async () => (await rt.deadLetters(10)).length === 1 && (await rt.storeStats()).egress === 1);
    const [letter] = await rt.deadLetters(10);
    expect(letter!.message.target.id).toBe("bad");
    expect(letter!.error).toContain("egress example/unknown, which no loaded module declares");
  });
});
