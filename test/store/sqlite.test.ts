import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StatefunError } from "@statefun-ts/protocol";
import { SqliteStore } from "@statefun-ts/store-sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { storeConformance } from "./conformance.js";
import { addr, batch, everything, type MakeStore, message, range, text } from "./helpers.js";

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "statefun-store-sqlite-"));
  temps.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const makeSqliteStore: MakeStore = async (options = {}) => {
  const dir = mkdtempSync(join(tmpdir(), "statefun-store-sqlite-"));
  let current = new SqliteStore({ dir, keyGroups: options.keyGroups });
  return {
    store: current,
    async reopen(again = {}) {
      await current.close();
      current = new SqliteStore({ dir, keyGroups: again.keyGroups });
      return current;
    },
    async cleanup() {
      await current.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

storeConformance("sqlite", makeSqliteStore);

describe("SqliteStore", () => {
  it("runs in WAL mode with synchronous=FULL, an exclusive lock and a busy timeout", async () => {
    const store = new SqliteStore({ dir: join(tempDir(), "nested", "data") });
    expect(await store.open()).toEqual({ keyGroups: 128 });
    expect(store.settings()).toEqual({ journalMode: "wal", synchronous: 2, lockingMode: "exclusive", busyTimeout: 5000 });
    await store.close();
    const relaxed = new SqliteStore({ dir: store.dir, synchronous: "normal" });
    await relaxed.open();
    expect(relaxed.settings().synchronous).toBe(1);
    await relaxed.close();
  });

  it("refuses a data directory another store has open, naming it, until that one closes", async () => {
    const dir = tempDir();
    const first = new SqliteStore({ dir });
    await first.open();
    const second = new SqliteStore({ dir });
    const error = await second.open().catch((e: unknown) => e);
    expect(StatefunError.is(error)).toBe(true);
    expect(error).toMatchObject({ code: "STATEFUN_BAD_CONFIG" });
    expect((error as Error).message).toContain(dir);
    expect((error as Error).message).toMatch(/in use/);
    await first.close();
    await second.open();
    await second.close();
  });

  it("rejects calls when not open, a second open, and a bad keyGroups option", async () => {
    const store = new SqliteStore({ dir: tempDir() });
    await expect(store.stats()).rejects.toMatchObject({ code: "STATEFUN_CLOSED" });
    await store.open();
    await expect(store.open()).rejects.toMatchObject({ code: "STATEFUN_BAD_CONFIG" });
    await store.close();
    await store.close();
    await expect(store.loadMessages([0], 0, 1)).rejects.toMatchObject({ code: "STATEFUN_CLOSED" });
    expect(() => new SqliteStore({ dir: "x", keyGroups: 0 })).toThrow(/keyGroups/);
    expect(() => new SqliteStore({ dir: "x", keyGroups: 1.5 })).toThrow(StatefunError);
    expect(() => new SqliteStore({ dir: "x", synchronous: "off" as "full" })).toThrow(/synchronous/);
  });

  it("writes nothing from a batch that fails half-way (a duplicate seq violates the primary key)", async () => {
    const store = new SqliteStore({ dir: tempDir(), keyGroups: 2 });
    await store.open();
    const fence = { owner: "w", epochs: await store.acquire("w", range(2)) };
    await store.commit(batch(fence, { messages: [message(1, 0), message(2, 0)] }));
    const failing = batch(fence, {
      consumed: [1],
      messages: [message(3, 0), ...range(40).map((i) => message(100 + i, 1)), message(2, 0)],
      state: [{ address: addr("a"), keyGroup: 0, name: "s", value: text("v") }],
    });
    await expect(store.commit(failing)).rejects.toThrow(/UNIQUE/);
    expect((await everything(store, 2)).messages.map((m) => m.seq)).toEqual([1, 2]);
    expect(await store.loadState(addr("a"))).toEqual([]);
    // Nothing of the failed batch lingers in the statement buffers either.
    await store.commit(batch(fence, { consumed: [1] }));
    expect((await everything(store, 2)).messages.map((m) => m.seq)).toEqual([2]);
    await store.close();
  });
});
