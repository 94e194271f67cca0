import { jsonType, mapSpec, statefulFunction, statefunModule, Types } from "@statefun-ts/sdk";
import { until } from "@statefun-ts/test-kit";
import { afterEach, describe, expect, it } from "vitest";
import { Runtime } from "../runtime.js";
import { MemoryStore } from "../store/memory-store.js";
import { embeddedBinding } from "./embedded.js";

const Put = jsonType<{ key: string; value?: number }>("test/Put", {
  schema: (v): v is { key: string; value?: number } =>
    typeof v === "object" && v !== null && typeof (v as { key?: unknown }).key === "string",
});
const totals = mapSpec("totals", Types.int, { expireAfterWrite: "1h" });
const ledger = statefulFunction({
  typename: "test/ledger",
  state: { totals },
  messages: { put: Put },
  handlers: {
    put(ctx, { key, value }) {
      if (value === undefined) ctx.state.totals.delete(key);
      else ctx.state.totals.set(key, (ctx.state.totals.get(key) ?? 0) + value);
    },
  },
  instanceTtl: "1d",
});

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

describe("embedded bindings", () => {
  it("carry the instance TTL and the states, maps by the name of their entries' prefix", () => {
    const binding = embeddedBinding(ledger);
    expect(binding.instanceTtlMs).toBe(86_400_000);
    expect(binding.specs("test/ledger")).toEqual([
      { name: "totals", typename: Types.int.typename, expiration: { mode: "after-write", millis: 3_600_000 } },
    ]);
  });

  it("read and write map entries one by one through the runtime, and dead-letter a bad message naming function and type", async () => {
    runtime = new Runtime({ store: new MemoryStore(), modules: [statefunModule({ functions: [ledger] })] });
    const rt = runtime;
    await rt.start();
    const put = (text: string) =>
      rt.ingest({ target: ledger.at("l"), argument: { typename: Put.typename, value: new TextEncoder().encode(text) } });
    await put('{"key":"a","value":1}');
    await put('{"key":"b","value":2}');
    await put('{"key":"a","value":3}');
    await put('{"key":"b"}');
    await put('{"value":1}');
    await until(async () => (await rt.deadLetters(10)).length === 1);
    const state = await rt.readState(ledger.at("l"));
    expect(state.map((s) => [s.name, Types.int.deserialize(s.value)])).toEqual([["totals[a]", 4]]);
    const [letter] = await rt.deadLetters(10);
    expect(letter?.error).toMatch(/^rejected: test\/ledger rejects a test\/Put message: JSON does not match the schema of test\/Put/);
  });
});
