import { egressRef, jsonType, StatefunError, statefulFunction, Types, valueSpec } from "@statefun-ts/sdk";
import { describe, expect, it } from "vitest";
import { testHarness } from "./index.js";

const count = valueSpec("count", Types.int);
const out = egressRef("out", Types.string);
const Order = jsonType<{ item: string }>("test/Order", {
  schema: (v): v is { item: string } => typeof v === "object" && v !== null && typeof (v as { item?: unknown }).item === "string",
});

class Boom extends Error {}

/** Writes state, sends, emits, then throws on "boom". */
const fragile = statefulFunction({
  typename: "test/fragile",
  state: { count },
  accepts: [Types.string, Order],
  handler(ctx, message) {
    if (message.is(Order)) return void ctx.egress(out, message.as(Order).item);
    ctx.state.count.set((ctx.state.count.get() ?? 0) + 1);
    ctx.egress(out, message.as(Types.string));
    ctx.sendAfter("1s", ctx.self, Types.string, "later");
    if (message.as(Types.string) === "boom") throw new Boom("kaboom");
  },
});

/** Sends "boom" to one fragile instance and "fine" to another. */
const dispatcher = statefulFunction({
  typename: "test/dispatcher",
  accepts: [Types.int],
  handler(ctx) {
    ctx.send(fragile.at("x"), Types.string, "boom");
    ctx.send(fragile.at("y"), Types.string, "fine");
  },
});

describe("failures", () => {
  it("rejects send with the error and discards every effect of the failed invocation", async () => {
    const h = testHarness(fragile);
    await h.send(fragile.at("x"), Types.string, "ok");
    const failed = h.send(fragile.at("x"), Types.string, "boom");
    await expect(failed).rejects.toThrow("test/fragile/x (message io.statefun.types/string) failed: kaboom");
    const error = await failed.catch((e: unknown) => e);
    expect(StatefunError.is(error) && error.code).toBe("STATEFUN_FUNCTION_FAILED");
    expect((error as Error).cause).toBeInstanceOf(Boom);
    expect(h.state(fragile.at("x"), count)).toBe(1);
    expect(h.egress(out)).toEqual(["ok"]);
    expect(h.pending).toHaveLength(1);
    expect(h.deadLetters.map((d) => [d.as(Types.string), d.error?.message])).toEqual([["boom", (error as Error).message]]);
  });

  it("runs every other message to quiescence before rejecting", async () => {
    const h = testHarness(fragile, dispatcher);
    await expect(h.send(dispatcher.at("d"), Types.int, 1)).rejects.toThrow(/kaboom/);
    expect(h.state(fragile.at("y"), count)).toBe(1);
    expect(h.state(fragile.at("x"), count)).toBeUndefined();
    expect(h.egress(out)).toEqual(["fine"]);
    expect(h.invocations.map((i) => [i.target.id, i.error === undefined])).toEqual([
      ["d", true],
      ["x", false],
      ["y", true],
    ]);
  });

  it("rejects a message of a type the function does not accept", async () => {
    const h = testHarness(fragile);
    // `h.send(fragile.at("x"), Types.int, 1)` does not compile; raw bytes get through to the check.
    await expect(h.sendRaw(fragile.at("x"), { typename: Types.int.typename, value: Types.int.serialize(1) })).rejects.toThrow(
      "test/fragile/x (message io.statefun.types/int): test/fragile does not accept io.statefun.types/int; it accepts io.statefun.types/string, test/Order",
    );
    expect(h.deadLetters).toHaveLength(1);
  });

  it("rejects JSON that does not match the schema", async () => {
    const h = testHarness(fragile);
    const bytes = (text: string) => ({ typename: Order.typename, value: new TextEncoder().encode(text) });
    await h.sendRaw(fragile.at("x"), bytes('{"item":"socks"}'));
    expect(h.egress(out)).toEqual(["socks"]);
    await expect(h.sendRaw(fragile.at("x"), bytes('{"item":42}'))).rejects.toMatchObject({
      code: "STATEFUN_BAD_MESSAGE",
      message: expect.stringContaining('JSON does not match the schema of test/Order: {"item":42}'),
    });
    await expect(h.sendRaw(fragile.at("x"), bytes("{nope"))).rejects.toThrow(/invalid JSON for test\/Order/);
  });

  it("stops a message loop with a clear error", async () => {
    const loop = statefulFunction({
      typename: "test/loop",
      accepts: [Types.int],
      handler: (ctx, message) => ctx.send(ctx.self, Types.int, message.as(Types.int) + 1),
    });
    await expect(testHarness(loop).send(loop.at("l"), Types.int, 0)).rejects.toThrow(
      /no quiescence after 10000 invocations \(last: test\/loop\/l\)/,
    );
  });

  it("tells when a state holds another type than the spec read with", async () => {
    const h = testHarness(fragile);
    await h.send(fragile.at("x"), Types.string, "ok");
    expect(() => h.state(fragile.at("x"), valueSpec("count", Types.string))).toThrow(
      "state count of test/fragile/x holds a io.statefun.types/int, not a io.statefun.types/string",
    );
  });
});
