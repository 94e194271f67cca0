import { jsonType, listSpec, mapSpec, requestHandler, statefulFunction, Types } from "@statefun-ts/sdk";
import { InvocationContext } from "@statefun-ts/sdk/internal";
import { describe, expect, it } from "vitest";
import { testHarness } from "./index.js";

describe("map and list states", () => {
  const scores = mapSpec("scores", Types.int, { expireAfterWrite: "1min" });
  const events = listSpec("events", Types.string);
  const Command = jsonType<{ op: string; key?: string; value?: number }>("test/Command");
  const seen: unknown[] = [];
  const keeper = statefulFunction({
    typename: "test/keeper",
    state: { scores, events },
    messages: { command: Command },
    handlers: {
      command(ctx, { op, key = "", value = 0 }) {
        const s = ctx.state.scores;
        if (op === "set") s.set(key, value);
        else if (op === "delete") s.delete(key);
        else if (op === "clear") s.clear();
        else if (op === "read")
          seen.push([s.entries(), s.keys(), s.size, s.has(key), s.get(key), [...ctx.state.events], ctx.state.events.length]);
        else if (op === "forget") ctx.state.events.clear();
        ctx.state.events.append(op);
      },
    },
  });

  it("reads, writes and deletes entries, each its own stored value, reads seeing the invocation's writes", async () => {
    const h = testHarness(keeper);
    const k = keeper.at("k");
    const run = async (op: string, key?: string, value?: number) => h.send(k, Command, { op, key, value });
    await run("set", "bob", 2);
    await run("set", "alice", 1);
    await run("delete", "bob");
    await run("read", "alice");
    expect(seen.pop()).toEqual([[["alice", 1]], ["alice"], 1, true, 1, ["set", "set", "delete"], 3]);
    expect(h.state(k, scores)).toEqual(new Map([["alice", 1]]));
    expect(h.state(k, events)).toEqual(["set", "set", "delete", "read"]);
    await run("clear");
    expect(h.state(k, scores)).toEqual(new Map());
    await run("forget");
    expect(h.state(k, events)).toEqual(["forget"]);
  });

  it("expires each entry on its own", async () => {
    const h = testHarness(keeper);
    const k = keeper.at("k");
    await h.send(k, Command, { op: "set", key: "a", value: 1 });
    await h.advance("40s");
    await h.send(k, Command, { op: "set", key: "b", value: 2 });
    await h.advance("30s");
    expect(h.state(k, scores)).toEqual(new Map([["b", 2]]));
  });

  it("commits only the entries an invocation changed", () => {
    const k = keeper.at("k");
    const ctx = new InvocationContext(k, undefined, keeper.stateSpecs, {
      value: () => undefined,
      entries: (prefix) => (prefix === "scores[" ? [["scores[a]", { typename: Types.int.typename, value: Types.int.serialize(1) }]] : []),
    });
    ctx.state.scores.set("c", 3);
    ctx.state.scores.delete("a");
    ctx.state.events.append("x");
    ctx.state.events.append("y");
    expect([...ctx.effects.state.keys()]).toEqual(["scores[c]", "scores[a]", "events[000000000000]", "events[000000000001]"]);
    ctx.state.events.clear();
    ctx.state.events.append("z");
    expect(ctx.state.events.values()).toEqual(["z"]);
    expect(ctx.state.scores.entries()).toEqual([["c", 3]]);
  });

  it("cannot be served remotely", () => {
    expect(() => requestHandler(keeper)).toThrow(/cannot serve test\/keeper remotely: its map state scores is for embedded functions/);
  });
});
