import { describe, expect, it } from "vitest";
import type { Context } from "./conformance.js";
import { addr, batch, message, text } from "./helpers.js";

/** Dynamic loading: the module catalog, parked types, and messages found by target type. */
export function moduleCatalogTests(ctx: Context): void {
  describe("module catalog", () => {
    it("starts empty at version 0; every change raises the version by 1; entries survive a reopen", async () => {
      expect(await ctx.store.loadModuleCatalog()).toEqual({ version: 0, entries: [] });
      expect(await ctx.store.moduleCatalogVersion()).toBe(0);
      expect(await ctx.store.changeModuleCatalog({ kind: "module", name: "b", body: "kind: x\n" })).toBe(1);
      expect(await ctx.store.changeModuleCatalog({ kind: "function", name: "example/*", body: '{"kind":"remote"}' })).toBe(2);
      expect(await ctx.store.changeModuleCatalog({ kind: "module", name: "a", body: "one" })).toBe(3);
      expect(await ctx.store.changeModuleCatalog({ kind: "module", name: "a", body: "two" })).toBe(4);
      const store = await ctx.reopen();
      expect(await store.moduleCatalogVersion()).toBe(4);
      expect(await store.loadModuleCatalog()).toEqual({
        version: 4,
        entries: [
          { kind: "function", name: "example/*", body: '{"kind":"remote"}' },
          { kind: "module", name: "a", body: "two" },
          { kind: "module", name: "b", body: "kind: x\n" },
        ],
      });
    });

    it("deletes an entry by kind and name (the same name of the other kind stays); a delete of nothing still counts", async () => {
      await ctx.store.changeModuleCatalog({ kind: "module", name: "same", body: "m" });
      await ctx.store.changeModuleCatalog({ kind: "function", name: "same", body: "f" });
      expect(await ctx.store.changeModuleCatalog({ kind: "module", name: "same", body: null })).toBe(3);
      expect(await ctx.store.changeModuleCatalog({ kind: "module", name: "missing", body: null })).toBe(4);
      expect(await ctx.store.loadModuleCatalog()).toEqual({ version: 4, entries: [{ kind: "function", name: "same", body: "f" }] });
    });
  });

  describe("parked types", () => {
    it("keeps the first park time of a type until it is cleared, across a reopen", async () => {
      expect(await ctx.store.parkedTypes()).toEqual(new Map());
      await ctx.store.setParked("example/greeter", 100);
      await ctx.store.setParked("example/greeter", 200);
      await ctx.store.setParked("other.ns/x", 300);
      const store = await ctx.reopen();
      expect(await store.parkedTypes()).toEqual(
        new Map([
          ["example/greeter", 100],
          ["other.ns/x", 300],
        ]),
      );
      await store.setParked("example/greeter", undefined);
      await store.setParked("never/seen", undefined);
      expect(await store.parkedTypes()).toEqual(new Map([["other.ns/x", 300]]));
    });
  });

  describe("messages by target type", () => {
    it("returns the immediate messages of one type, in seq order, in (afterSeq, upToSeq], of the key groups asked", async () => {
      const greeter = (id: string) => addr(id, "greeter", "example");
      await ctx.store.commit(
        batch(ctx.fence, {
          messages: [
            message(1, 0, { target: greeter("a") }),
            message(2, 1, { target: addr("a", "greeter", "example.sub") }),
            message(3, 2, { target: greeter("b") }),
            message(4, 3, { target: addr("a", "greeterx", "example") }),
            message(5, 1, { target: greeter("c"), dueAt: 50 }),
            message(6, 4, { target: greeter("a"), argument: text("six") }),
            message(7, 5, { target: greeter("d") }),
            message(8, 2, { target: greeter("e") }),
          ],
        }),
      );
      const seqs = async (after: number, upTo: number, limit: number, keyGroups = [0, 1, 2, 3, 4, 5, 6, 7]) =>
        (await ctx.store.loadMessagesOfType(keyGroups, "example/greeter", after, upTo, limit)).map((m) => m.seq);
      expect(await seqs(0, 100, 100)).toEqual([1, 3, 6, 7, 8]);
      expect(await seqs(1, 7, 100)).toEqual([3, 6, 7]);
      expect(await seqs(0, 100, 2)).toEqual([1, 3]);
      expect(await seqs(0, 100, 100, [2, 4])).toEqual([3, 6, 8]);
      expect(await seqs(0, 100, 2, [2, 4])).toEqual([3, 6]);
      const [six] = await ctx.store.loadMessagesOfType([4], "example/greeter", 0, 100, 1);
      expect(six).toEqual(message(6, 4, { target: greeter("a"), argument: text("six") }));
      await ctx.store.commit(batch(ctx.fence, { consumed: [3, 6] }));
      expect(await seqs(0, 100, 100)).toEqual([1, 7, 8]);
      expect(await ctx.store.loadMessagesOfType([0], "example.sub/greeter", 0, 100, 10)).toEqual([]);
    });
  });
}
