import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StatefunError } from "@statefun-ts/protocol";
import { SqliteStore } from "@statefun-ts/store-sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { storeConformance } from "./conformance.js";
import type { MakeStore } from "./helpers.js";

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
});
