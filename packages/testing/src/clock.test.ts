import { address, statefulFunction, Types, valueSpec } from "@statefun-ts/sdk";
import { describe, expect, it } from "vitest";
import { type TestHarness, testHarness } from "./index.js";

const outside = address("elsewhere/sink", "1");

/** "after <ms> <text>" schedules <text>; "cancel <token>" cancels; "chain" schedules "after 1000 chained"; a bare word does nothing. */
const scheduler = statefulFunction({
  typename: "test/scheduler",
  accepts: [Types.string],
  handler(ctx, message) {
    const [command = "", arg = "", text = ""] = message.as(Types.string).split(" ");
    if (command === "after") ctx.sendAfter(Number(arg), ctx.self, Types.string, text, { cancellationToken: text });
    else if (command === "cancel") ctx.cancelDelayed(arg);
    else if (command === "outside") ctx.sendAfter("1s", outside, Types.string, "late");
    else if (command === "chain") ctx.sendAfter(1000, ctx.self, Types.string, "after 1000 chained");
  },
});

/** The delayed messages delivered so far (their caller is the scheduler), with their fake times. */
const recorded = (h: TestHarness) => h.invocations.filter((i) => i.caller !== undefined).map((i) => [i.at, i.as(Types.string)]);

describe("the fake clock", () => {
  it("holds delayed messages until advance, then fires them in due order at their due times", async () => {
    const h = testHarness(scheduler);
    const a = scheduler.at("a");
    await h.send(a, Types.string, "after 5000 late");
    await h.send(a, Types.string, "after 2000 early");
    expect(h.pending.map((m) => [m.dueAt, m.as(Types.string)])).toEqual([
      [2000, "early"],
      [5000, "late"],
    ]);
    expect(await h.advance(1999)).toMatchObject({ invocations: [] });
    expect(h.now()).toBe(1999);
    const run = await h.advance("10s");
    expect(run.invocations.map((i) => [i.at, i.as(Types.string), i.caller])).toEqual([
      [2000, "early", a],
      [5000, "late", a],
    ]);
    expect(h.now()).toBe(11_999);
    expect(h.pending).toEqual([]);
  });

  it("never delivers a message cancelled before it fired", async () => {
    const h = testHarness(scheduler);
    const a = scheduler.at("a");
    await h.send(a, Types.string, "after 1000 keep");
    await h.send(a, Types.string, "after 1000 drop");
    await h.send(a, Types.string, "cancel drop");
    await h.advance(5000);
    expect(recorded(h)).toEqual([[1000, "keep"]]);
    await h.send(a, Types.string, "cancel keep");
    expect(recorded(h)).toEqual([[1000, "keep"]]);
  });

  it("fires messages scheduled by fired messages within the same advance, and zero delays at once", async () => {
    const h = testHarness(scheduler);
    await h.send(scheduler.at("a"), Types.string, "chain");
    await h.advance(2500);
    expect(recorded(h)).toEqual([
      [1000, "after 1000 chained"],
      [2000, "chained"],
    ]);
    await h.send(scheduler.at("a"), Types.string, "after 0 now");
    expect(recorded(h).at(-1)).toEqual([2500, "now"]);
  });

  it("puts delayed messages to outside addresses in the outbox when they fire", async () => {
    const h = testHarness(scheduler);
    await h.send(scheduler.at("a"), Types.string, "outside");
    expect(h.outbox).toEqual([]);
    const run = await h.advance(1000);
    expect(run.outbox.map((m) => [m.target, m.as(Types.string)])).toEqual([[outside, "late"]]);
  });

  it("expires state after write or after the last call, by the fake clock", async () => {
    const written = valueSpec("written", Types.int, { expireAfterWrite: "1min" });
    const called = valueSpec("called", Types.int, { expireAfterCall: "1min" });
    const ttl = statefulFunction({
      typename: "test/ttl",
      state: { written, called },
      accepts: [Types.int, Types.bool],
      handler(ctx, message) {
        if (message.is(Types.int)) {
          ctx.state.written.set(message.as(Types.int));
          ctx.state.called.set(message.as(Types.int));
        }
      },
    });
    const h = testHarness(ttl);
    const t = ttl.at("t");
    await h.send(t, Types.int, 7);
    await h.advance("40s");
    await h.send(t, Types.bool, true);
    await h.advance("40s");
    expect(h.state(t, written)).toBeUndefined();
    expect(h.state(t, called)).toBe(7);
    await h.advance("20s");
    expect(h.state(t, called)).toBeUndefined();
  });
});
