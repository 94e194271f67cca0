import { statefulFunction, statefunModule, Types, valueSpec } from "@statefun-ts/sdk";
import { str, until } from "@statefun-ts/test-kit";
import { describe, expect, it } from "vitest";
import { Runtime } from "./runtime.js";
import { MemoryStore } from "./store/memory-store.js";

const runs = valueSpec("runs", Types.int);

/** Counts its runs; while `hold` is set, each run waits for it first (as a remote function retrying would). */
let hold: Promise<void> | undefined;
let started = 0;
let finished = 0;
const slow = statefulFunction({
  typename: "test/slow",
  state: { runs },
  accepts: [Types.string],
  async handler(ctx) {
    started++;
    if (hold !== undefined) await hold;
    finished++;
    ctx.state.runs.set((ctx.state.runs.get() ?? 0) + 1);
  },
});

const runtimeOn = (store: MemoryStore) =>
  new Runtime({ store, modules: [statefunModule({ functions: [slow] })], limits: { stopDrainMs: 50 } });

describe("stop with an invocation that does not finish", () => {
  it("goes on after the drain time; the message runs again at the next start, and the late result is dropped", async () => {
    const store = new MemoryStore();
    let release = () => {};
    hold = new Promise((resolve) => {
      release = resolve;
    });
    const first = runtimeOn(store);
    await first.start();
    await first.ingest({ target: slow.at("a"), argument: str("go") });
    await until(() => started === 1, "the first run to start");
    await first.stop();

    hold = undefined;
    const second = runtimeOn(store);
    await second.start();
    const count = async () => {
      const value = (await second.readState(slow.at("a"))).find((s) => s.name === "runs")?.value;
      return value === undefined ? 0 : Types.int.deserialize(value);
    };
    await until(async () => (await count()) === 1, "the message to run again at the next start");
    expect(started).toBe(2);
    // The first run finishes late: its result must not commit. A later message shows what did.
    release();
    await until(() => finished === 2, "the first run to finish");
    await second.ingest({ target: slow.at("a"), argument: str("again") });
    await until(async () => (await count()) >= 2, "the next message to run");
    expect(await count()).toBe(2);
    await second.stop();
  });
});
