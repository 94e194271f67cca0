import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "@statefun-ts/store-sqlite";
import { afterEach, describe, expect, it } from "vitest";

let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("SqliteStore on an empty database file", () => {
  it("refuses a zero-length statefun.db (truncated, or never written) instead of starting empty without a word", async () => {
    dir = mkdtempSync(join(tmpdir(), "statefun-store-empty-"));
    writeFileSync(join(dir, "statefun.db"), "");
    const store = new SqliteStore({ dir, keyGroups: 16 });
    await expect(store.open()).rejects.toThrow(/statefun\.db is empty \(0 bytes\).*delete it/);
    expect(statSync(join(dir, "statefun.db")).size).toBe(0);
  });

  it("creates the database in a new directory, and opens it again", async () => {
    dir = mkdtempSync(join(tmpdir(), "statefun-store-empty-"));
    const fresh = new SqliteStore({ dir: join(dir, "new"), keyGroups: 16 });
    await fresh.open();
    await fresh.close();
    const again = new SqliteStore({ dir: join(dir, "new"), keyGroups: 16 });
    await again.open();
    await again.close();
  });
});
