import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StateWrite } from "@statefun-ts/runtime/spi";
import { SqliteStore } from "@statefun-ts/store-sqlite";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { addr, batch, range } from "./helpers.js";

let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("SqliteStore storage reclaim", () => {
  it("creates new stores with incremental auto-vacuum, and shrinks the file back after expired state is dropped", async () => {
    dir = mkdtempSync(join(tmpdir(), "statefun-store-reclaim-"));
    let store = new SqliteStore({ dir, keyGroups: 4 });
    await store.open();
    let fence = { owner: "w", epochs: await store.acquire("w", range(4)) };
    const big = new Uint8Array(8192).fill(1);
    const rows: StateWrite[] = range(500).map((i) => ({
      address: addr(`r${i}`),
      keyGroup: i % 4,
      name: "blob",
      value: { typename: "t/b", value: big },
      expiresAt: 10,
    }));
    await store.commit(batch(fence, { state: rows }));
    // Closing checkpoints the WAL into the file: 500 values of 8 KiB are in it.
    await store.close();
    expect(statSync(store.file).size).toBeGreaterThan(500 * 8192);
    store = new SqliteStore({ dir });
    await store.open();
    fence = { owner: "w", epochs: await store.acquire("w", range(4)) };
    await store.commit(
      batch(fence, { drops: rows.map((r) => ({ address: r.address, keyGroup: r.keyGroup, name: "blob", expiredBy: 10 })) }),
    );
    expect(store.freePages()).toBeGreaterThan(500);
    // Bounded steps: each gives back at most the pages asked for.
    const first = store.freePages();
    expect(await store.reclaim(100)).toBe(first - 100);
    while ((await store.reclaim(100)) > 0);
    await store.close();
    const db = new Database(store.file);
    try {
      expect(db.pragma("auto_vacuum", { simple: true })).toBe(2);
      db.pragma("wal_checkpoint(TRUNCATE)");
    } finally {
      db.close();
    }
    expect(statSync(store.file).size).toBeLessThan(256 * 1024);
  });
});
