import { StatefunError, StringCodec } from "@statefun-ts/protocol";
import { statefunModule, Types } from "@statefun-ts/sdk";
import { until } from "@statefun-ts/test-kit";
import { afterEach, describe, expect, it } from "vitest";
import { echo } from "./engine/fixtures/echo.js";
import { Runtime } from "./runtime.js";
import { MemoryStore } from "./store/memory-store.js";

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

const records = (from: number | null, to: number, text: string) => ({
  source: "kafka:orders",
  partition: "orders/0",
  from,
  to,
  messages: [{ target: echo.at("a"), argument: { typename: Types.string.typename, value: StringCodec.encode(text) } }],
  deadLetters: [],
});

describe("Runtime.sources()", () => {
  it("gives a sink that outlives the lifecycle: refused before start, committing with its position once running", async () => {
    runtime = new Runtime({ store: new MemoryStore(4), modules: [statefunModule({ functions: [echo] })] });
    const sink = runtime.sources();
    const refused = await sink.advance(records(null, 1, "early")).catch((error: unknown) => error);
    expect(StatefunError.is(refused) && refused.code).toBe("STATEFUN_CLOSED");
    expect(sink.overloaded()).toBe(false);

    await runtime.start();
    expect(await sink.advance(records(null, 1, "one"))).toBe("committed");
    expect(await sink.positions("kafka:orders")).toEqual(new Map([["orders/0", 1]]));
    // An advance from a position that no longer holds stores nothing.
    expect(await sink.advance(records(null, 2, "stale"))).toBe("rejected");
    const r = runtime;
    await until(async () => (await r.readState(echo.at("a")))[0] !== undefined, "the committed message's state");
    const [view] = await r.readState(echo.at("a"));
    expect(view && StringCodec.decode(view.value)).toBe("one");
  });

  it("reports overload from the running engine's limits", async () => {
    runtime = new Runtime({ store: new MemoryStore(4), modules: [statefunModule({ functions: [echo] })], limits: { maxBacklog: 0 } });
    await runtime.start();
    expect(runtime.sources().overloaded()).toBe(true);
  });
});
