import { address, egressRef, jsonType, statefulFunction, statefunModule, Types, valueSpec } from "@statefun-ts/sdk";
import { describe, expect, it } from "vitest";
import { testHarness } from "./index.js";

const count = valueSpec("count", Types.int);
const seen = valueSpec("seen", jsonType<string[]>("test/Seen"));
const log = egressRef("log", Types.string);
const other = egressRef("other", Types.string);
const outside = address("elsewhere/sink", "1");

const recorder = statefulFunction({
  typename: "test/recorder",
  state: { seen },
  accepts: [Types.string],
  async handler(ctx, message) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    ctx.state.seen.set([...(ctx.state.seen.get() ?? []), message.as(Types.string)]);
  },
});

const counter = statefulFunction({
  typename: "test/counter",
  state: { count },
  accepts: [Types.int],
  handler(ctx, message) {
    const total = (ctx.state.count.get() ?? 0) + message.as(Types.int);
    ctx.state.count.set(total);
    ctx.egress(log, `${ctx.self.id}=${total}`);
    if (ctx.caller) ctx.reply(Types.int, total);
  },
});

const fanout = statefulFunction({
  typename: "test/fanout",
  accepts: [Types.int],
  handler(ctx, message) {
    for (let i = 0; i < message.as(Types.int); i++) ctx.send(recorder.at("r"), Types.string, `m${i}`);
    ctx.send(outside, Types.string, "out");
  },
});

describe("testHarness", () => {
  it("delivers a message, applies its effects and keeps state per address", async () => {
    const h = testHarness(counter);
    await h.send(counter.at("a"), Types.int, 2);
    await h.send(counter.at("a"), Types.int, 3);
    await h.send(counter.at("b"), Types.int, 7);
    expect(h.state(counter.at("a"), count)).toBe(5);
    expect(h.state(counter.at("b"), count)).toBe(7);
    expect(h.state(counter.at("never"), count)).toBeUndefined();
  });

  it("delivers messages between functions in the order sent, one at a time per address", async () => {
    const h = testHarness(statefunModule({ functions: [recorder, counter, fanout] }));
    const run = await h.send(fanout.at("f"), Types.int, 5);
    expect(h.state(recorder.at("r"), seen)).toEqual(["m0", "m1", "m2", "m3", "m4"]);
    expect(run.invocations.map((i) => `${i.target.type}/${i.target.id}`)).toEqual(["fanout/f", ...Array(5).fill("recorder/r")]);
    expect(run.invocations[1]?.caller).toEqual(fanout.at("f"));
  });

  it("keeps messages to addresses outside the harness in the outbox", async () => {
    const h = testHarness(recorder, counter, fanout);
    const run = await h.send(fanout.at("f"), Types.int, 0);
    expect(run.outbox.map((m) => [m.target, m.caller, m.as(Types.string)])).toEqual([[outside, fanout.at("f"), "out"]]);
    expect(h.outbox).toHaveLength(1);
    expect(() => h.outbox[0]?.as(Types.int)).toThrow(/is a io.statefun.types\/string, not a io.statefun.types\/int/);
  });

  it("returns replies to an outside caller and delivers replies to a caller in the harness", async () => {
    const h = testHarness(counter, recorder);
    const run = await h.send(counter.at("a"), Types.int, 4, { caller: outside });
    expect(run.reply(Types.int)).toBe(4);
    expect(run.replies).toHaveLength(1);
    expect(h.outbox[0]?.target).toEqual(outside);

    const silent = await h.send(counter.at("a"), Types.int, 1);
    expect(() => silent.reply(Types.int)).toThrow(/no reply: no caller was given/);

    const viaCounter = statefulFunction({
      typename: "test/asker",
      state: { count },
      accepts: [Types.int],
      handler(ctx, message) {
        if (ctx.caller?.type === "counter") ctx.state.count.set(message.as(Types.int));
        else ctx.send(counter.at("a"), Types.int, message.as(Types.int));
      },
    });
    const h2 = testHarness(counter, viaCounter);
    const asked = await h2.send(viaCounter.at("q"), Types.int, 9);
    expect(h2.state(viaCounter.at("q"), count)).toBe(9);
    expect(asked.outbox).toEqual([]);
  });

  it("records egress by topic, decoded with the topic's type", async () => {
    const h = testHarness(counter);
    const first = await h.send(counter.at("a"), Types.int, 1);
    await h.send(counter.at("b"), Types.int, 2);
    expect(first.egress(log)).toEqual(["a=1"]);
    expect(h.egress(log)).toEqual(["a=1", "b=2"]);
    expect(h.egress(other)).toEqual([]);
    expect(h.egressRecords[1]?.from).toEqual(counter.at("b"));
  });

  it("serializes sends that are not awaited", async () => {
    const h = testHarness(recorder);
    await Promise.all(["x", "y", "z"].map((v) => h.send(recorder.at("r"), Types.string, v)));
    expect(h.state(recorder.at("r"), seen)).toEqual(["x", "y", "z"]);
  });

  it("sets state before a test and rejects unknown targets and duplicate functions", async () => {
    const h = testHarness(counter);
    h.setState(counter.at("a"), count, 40);
    await h.send(counter.at("a"), Types.int, 2);
    expect(h.state(counter.at("a"), count)).toBe(42);
    h.setState(counter.at("a"), count, undefined);
    expect(h.state(counter.at("a"), count)).toBeUndefined();
    await expect(h.send(recorder.at("r"), Types.string, "x")).rejects.toThrow(
      "no function at test/recorder/r in this harness (it has: test/counter)",
    );
    expect(() => testHarness(counter, statefunModule({ functions: [counter] }))).toThrow(
      "function test/counter is given to the harness twice",
    );
  });
});
