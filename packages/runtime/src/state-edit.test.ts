import { IntCodec, type TypedValue } from "@statefun-ts/protocol";
import { statefulFunction, statefunModule, Types, valueSpec } from "@statefun-ts/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { Runtime } from "./runtime.js";
import { MemoryStore } from "./store/memory-store.js";

const count = valueSpec("count", Types.int);
const seen: (number | undefined)[] = [];
let gate: Promise<void> = Promise.resolve();

/** Adds the message to `count`; waits for `gate` first, so a test can hold an invocation in flight. */
const counter = statefulFunction({
  typename: "test/counter",
  state: { count },
  accepts: [Types.int],
  async handler(ctx, message) {
    await gate;
    seen.push(ctx.state.count.get());
    ctx.state.count.set((ctx.state.count.get() ?? 0) + message.as(Types.int));
  },
});

const int = (n: number): TypedValue => ({ typename: Types.int.typename, value: IntCodec.encode(n) });
const at = { namespace: "test", type: "counter", id: "a" };

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
  seen.length = 0;
});

async function start() {
  runtime = new Runtime({ store: new MemoryStore(), modules: [statefunModule({ functions: [counter] })] });
  await runtime.start();
  return runtime;
}

const value = async (rt: Runtime) => (await rt.readState(at)).find((v) => v.name === "count");

describe("Runtime.editState", () => {
  it("sets a value in the instance's order: after the invocation in flight, before the next one, which sees it", async () => {
    const rt = await start();
    let open!: () => void;
    gate = new Promise((resolve) => {
      open = resolve;
    });
    await rt.ingest({ target: at, argument: int(1) }); // held in flight by the gate
    const edit = rt.editState(at, { name: "count", value: int(100) });
    await rt.ingest({ target: at, argument: int(5) });
    open();
    expect(await edit).toBe(true);
    // The edit overwrote the first invocation's write (it ran after it), and the next invocation saw the edit.
    await expect.poll(async () => (await value(rt)) && IntCodec.decode((await value(rt))!.value)).toBe(105);
    expect(seen).toEqual([undefined, 100]);
  });

  it("deletes a value, and the function never sees the edit message", async () => {
    const rt = await start();
    gate = Promise.resolve();
    await rt.ingest({ target: at, argument: int(7) });
    await expect.poll(async () => (await value(rt)) !== undefined).toBe(true);
    expect(await rt.editState(at, { name: "count", value: null })).toBe(true);
    expect(await value(rt)).toBeUndefined();
    await rt.ingest({ target: at, argument: int(2) });
    await expect.poll(async () => (await value(rt)) && IntCodec.decode((await value(rt))!.value)).toBe(2);
    expect(seen).toEqual([undefined, undefined]);
  });

  it("answers at once, once committed, for a type with no binding: the edit waits (parked) and applies in order when the type is loaded", async () => {
    runtime = new Runtime({ store: new MemoryStore() });
    await runtime.start();
    // Far beyond the test's own timeout: an edit that waited for the unbound type to run would fail the test.
    expect(await runtime.editState(at, { name: "count", value: int(41) }, 3_600_000)).toBe(false);
    runtime.load(statefunModule({ functions: [counter] }));
    gate = Promise.resolve();
    await runtime.ingest({ target: at, argument: int(1) });
    await expect.poll(async () => (await value(runtime!)) && IntCodec.decode((await value(runtime!))!.value)).toBe(42);
    expect(seen).toEqual([41]);
  });
});
