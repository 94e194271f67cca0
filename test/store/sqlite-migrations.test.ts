import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrations, SqliteStore } from "@statefun-ts/store-sqlite";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";

let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("SqliteStore migrations", () => {
  it("brings a new database to the latest version, with the tables and indexes the store uses", async () => {
    dir = mkdtempSync(join(tmpdir(), "statefun-store-migrations-"));
    const store = new SqliteStore({ dir, keyGroups: 16 });
    await store.open();
    await store.close();
    const db = new Database(store.file, { readonly: true });
    try {
      expect(db.pragma("user_version", { simple: true })).toBe(migrations.at(-1)!.version);
      const names = db.prepare("SELECT name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all();
      expect(names).toEqual(
        expect.arrayContaining([
          "dead_letters",
          "egress",
          "egress_topic",
          "idempotency_keys",
          "leases",
          "messages",
          "messages_cancellation",
          "messages_delayed",
          "meta",
          "replies",
          "state",
          "state_expiry",
        ]),
      );
      expect(db.prepare("SELECT value FROM meta WHERE key = 'key_groups'").pluck().get()).toBe(16);
    } finally {
      db.close();
    }
  });

  it("refuses a database written by a newer version", async () => {
    dir = mkdtempSync(join(tmpdir(), "statefun-store-migrations-"));
    const store = new SqliteStore({ dir });
    await store.open();
    await store.close();
    const db = new Database(store.file);
    db.pragma(`user_version = ${migrations.at(-1)!.version + 1}`);
    db.close();
    await expect(new SqliteStore({ dir }).open()).rejects.toMatchObject({ code: "STATEFUN_BAD_CONFIG", message: /newer/ });
  });
});
