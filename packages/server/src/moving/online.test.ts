import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryStore } from "@statefun-ts/runtime/testing";
import { SqliteStore, ThreadedSqliteStore } from "@statefun-ts/store-sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { backupOf } from "./online.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("backupOf", () => {
  it.each([
    ["on the engine's thread", (dir: string) => new SqliteStore({ dir })],
    ["on a thread of its own", (dir: string) => new ThreadedSqliteStore({ dir })],
  ])("copies the embedded store %s online", async (_, make) => {
    const dir = mkdtempSync(join(tmpdir(), "statefun-online-"));
    dirs.push(dir);
    const store = make(join(dir, "data"));
    await store.open();
    try {
      const backup = backupOf(store);
      expect(backup).toBeDefined();
      const counts = await backup!(join(dir, "copy.db"));
      expect(counts["registry-version"]).toBe(1);
      expect(existsSync(join(dir, "copy.db"))).toBe(true);
    } finally {
      await store.close();
    }
  });

  it("has none for another store", () => {
    expect(backupOf(new MemoryStore())).toBeUndefined();
  });
});
