import { INSTANCE_ROW, type StateWrite } from "@statefun-ts/runtime/spi";
import { describe, expect, it } from "vitest";
import type { Context } from "./conformance.js";
import { addr, batch, instanceMarker, range, stateOf, text, stateWrite as write } from "./helpers.js";

/** Expiry: finding expired state through the expiry index, and dropping it in a commit. */
export function expiryTests(ctx: Context): void {
  describe("expired state", () => {
    it("lists rows expired by `now`, oldest expiry first, at most `limit`, of the key groups asked for", async () => {
      await ctx.store.commit(
        batch(ctx.fence, {
          state: [
            write("a", "late", 300),
            write("a", "never"),
            write("b", "early", 100, 2),
            write("c", INSTANCE_ROW, 200, 3),
            write("c", "value", undefined, 3),
            write("d", "future", 1_000),
          ],
        }),
      );
      const names = (rows: { address: { id: string }; name: string }[]) => rows.map((r) => `${r.address.id}.${r.name}`);
      const all = range(ctx.keyGroups);
      expect(names(await ctx.store.expiredState(all, 300, 10))).toEqual(["b.early", `c.${INSTANCE_ROW}`, "a.late"]);
      expect(await ctx.store.expiredState(all, 200, 10)).toEqual([
        { address: addr("b"), keyGroup: 2, name: "early", expiresAt: 100 },
        { address: addr("c"), keyGroup: 3, name: INSTANCE_ROW, expiresAt: 200 },
      ]);
      expect(names(await ctx.store.expiredState(all, 300, 1))).toEqual(["b.early"]);
      expect(names(await ctx.store.expiredState([1, 3], 300, 10))).toEqual([`c.${INSTANCE_ROW}`, "a.late"]);
      expect(await ctx.store.expiredState(all, 99, 10)).toEqual([]);
      expect(await ctx.store.expiredState(all, 300, 0)).toEqual([]);
    });

    it("drops one row, unconditionally or only if it expired", async () => {
      await ctx.store.commit(batch(ctx.fence, { state: [write("a", "x", 100), write("a", "y", 100), write("a", "z", 500)] }));
      await ctx.store.commit(
        batch(ctx.fence, {
          drops: [
            { address: addr("a"), keyGroup: 1, name: "x", expiredBy: 200 },
            { address: addr("a"), keyGroup: 1, name: "z", expiredBy: 200 },
            { address: addr("a"), keyGroup: 1, name: "missing", expiredBy: 200 },
          ],
        }),
      );
      expect((await stateOf(ctx.store, addr("a"))).map((e) => e.name)).toEqual(["y", "z"]);
      await ctx.store.commit(batch(ctx.fence, { drops: [{ address: addr("a"), keyGroup: 1, name: "z" }] }));
      expect((await stateOf(ctx.store, addr("a"))).map((e) => e.name)).toEqual(["y"]);
    });

    it("drops a whole instance only if its instance row expired, and leaves other instances alone", async () => {
      await ctx.store.commit(
        batch(ctx.fence, {
          state: [
            write("old", INSTANCE_ROW, 100),
            write("old", "v"),
            write("old", "m[k]", 900),
            write("young", INSTANCE_ROW, 500),
            write("young", "v"),
            write("plain", "v"),
            { ...write("old", "v"), address: addr("old", "other-type") },
          ],
        }),
      );
      const drop = (id: string) => ({ address: addr(id), keyGroup: 1, expiredBy: 200 });
      await ctx.store.commit(batch(ctx.fence, { drops: [drop("old"), drop("young"), drop("plain"), drop("nobody")] }));
      expect(await stateOf(ctx.store, addr("old"))).toEqual([]);
      expect((await stateOf(ctx.store, addr("young"))).map((e) => e.name)).toEqual([INSTANCE_ROW, "v"]);
      expect((await stateOf(ctx.store, addr("plain"))).map((e) => e.name)).toEqual(["v"]);
      expect((await stateOf(ctx.store, addr("old", "other-type"))).map((e) => e.name)).toEqual(["v"]);
      expect(await ctx.store.expiredState(range(ctx.keyGroups), 10_000, 10)).toEqual([
        { address: addr("young"), keyGroup: 1, name: INSTANCE_ROW, expiresAt: 500 },
      ]);
    });

    it("applies drops before the state writes of the same commit, durably", async () => {
      await ctx.store.commit(batch(ctx.fence, { state: [write("a", INSTANCE_ROW, 100), write("a", "old"), write("a", "kept")] }));
      await ctx.store.commit(
        batch(ctx.fence, {
          drops: [{ address: addr("a"), keyGroup: 1 }],
          state: [write("a", INSTANCE_ROW, 5_000), write("a", "kept")],
        }),
      );
      const store = await ctx.reopen();
      expect(await stateOf(store, addr("a"))).toEqual([
        { name: INSTANCE_ROW, value: instanceMarker, expiresAt: 5_000 },
        { name: "kept", value: text("a.kept") },
      ]);
    });

    it("rolls drops back with the rest of a fenced commit", async () => {
      await ctx.store.commit(batch(ctx.fence, { state: [write("a", "x", 100)] }));
      await ctx.store.acquire("worker-2", [1]);
      await expect(
        ctx.store.commit(batch(ctx.fence, { drops: [{ address: addr("a"), keyGroup: 1 }], touchedKeyGroups: new Set([1]) })),
      ).rejects.toMatchObject({ code: "STATEFUN_FENCED" });
      expect((await stateOf(ctx.store, addr("a"))).map((e) => e.name)).toEqual(["x"]);
    });

    it("reclaims free storage in bounded steps, where the store supports it", async () => {
      if (ctx.store.reclaim === undefined) return;
      const big = new Uint8Array(4096).fill(7);
      const rows: StateWrite[] = range(200).map((i) => ({
        address: addr(`r${i}`),
        keyGroup: 1,
        name: "blob",
        value: { typename: "t/b", value: big },
        expiresAt: 10,
      }));
      await ctx.store.commit(batch(ctx.fence, { state: rows }));
      await ctx.store.commit(
        batch(ctx.fence, { drops: rows.map((r) => ({ address: r.address, keyGroup: 1, name: "blob", expiredBy: 10 })) }),
      );
      let left = await ctx.store.reclaim(1_000_000);
      expect(left).toBeGreaterThanOrEqual(0);
      left = await ctx.store.reclaim(1_000_000);
      expect(left).toBe(0);
    });
  });
}
