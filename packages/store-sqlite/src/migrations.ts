import { StatefunError } from "@statefun-ts/protocol";
import type Database from "better-sqlite3";
import { DELIVERER_LEASES_SCHEMA } from "./deliverer-leases.js";

/** One step of the schema, applied once, in `version` order, tracked by `PRAGMA user_version`. */
export interface Migration {
  readonly version: number;
  up(db: Database.Database): void;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    up(db) {
      db.exec(`
        CREATE TABLE meta (key TEXT PRIMARY KEY, value ANY NOT NULL) WITHOUT ROWID;

        CREATE TABLE messages (
          seq INTEGER PRIMARY KEY,
          key_group INTEGER NOT NULL,
          target_namespace TEXT NOT NULL,
          target_type TEXT NOT NULL,
          target_id TEXT NOT NULL,
          caller_namespace TEXT,
          caller_type TEXT,
          caller_id TEXT,
          typename TEXT NOT NULL,
          value BLOB NOT NULL,
          due_at INTEGER,
          cancellation_token TEXT
        );
        CREATE INDEX messages_delayed ON messages (due_at, seq) WHERE due_at IS NOT NULL;
        CREATE INDEX messages_cancellation ON messages (cancellation_token) WHERE cancellation_token IS NOT NULL;

        CREATE TABLE state (
          namespace TEXT NOT NULL,
          type TEXT NOT NULL,
          id TEXT NOT NULL,
          name TEXT NOT NULL,
          key_group INTEGER NOT NULL,
          typename TEXT NOT NULL,
          value BLOB NOT NULL,
          expires_at INTEGER,
          PRIMARY KEY (namespace, type, id, name)
        ) WITHOUT ROWID;
        CREATE INDEX state_expiry ON state (expires_at) WHERE expires_at IS NOT NULL;

        CREATE TABLE egress (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          egress TEXT NOT NULL,
          topic TEXT NOT NULL,
          typename TEXT NOT NULL,
          value BLOB NOT NULL,
          created_at INTEGER NOT NULL
        );
        CREATE INDEX egress_topic ON egress (topic, id);

        CREATE TABLE replies (
          request_id TEXT PRIMARY KEY,
          typename TEXT NOT NULL,
          value BLOB NOT NULL,
          created_at INTEGER NOT NULL
        );
        CREATE INDEX replies_created ON replies (created_at);

        CREATE TABLE idempotency_keys (
          key TEXT PRIMARY KEY,
          request_id TEXT NOT NULL,
          created_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

        CREATE TABLE dead_letters (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          seq INTEGER NOT NULL,
          key_group INTEGER NOT NULL,
          target_namespace TEXT NOT NULL,
          target_type TEXT NOT NULL,
          target_id TEXT NOT NULL,
          caller_namespace TEXT,
          caller_type TEXT,
          caller_id TEXT,
          typename TEXT NOT NULL,
          value BLOB NOT NULL,
          due_at INTEGER,
          cancellation_token TEXT,
          error TEXT NOT NULL,
          attempts INTEGER NOT NULL,
          failed_at INTEGER NOT NULL
        );

        CREATE TABLE leases (
          key_group INTEGER PRIMARY KEY,
          owner TEXT NOT NULL,
          epoch INTEGER NOT NULL
        );
      `);
    },
  },
  {
    version: 2,
    up(db) {
      db.exec(`
        CREATE TABLE state_specs (
          function_type TEXT NOT NULL,
          name TEXT NOT NULL,
          typename TEXT NOT NULL,
          expire_mode TEXT NOT NULL,
          expire_millis INTEGER NOT NULL,
          PRIMARY KEY (function_type, name)
        ) WITHOUT ROWID;
      `);
    },
  },
  // Version 3 was reserved for time-to-live, which needed no schema change: there is no version 3.
  {
    version: 4,
    up(db) {
      db.exec(`
        CREATE TABLE registry (
          kind TEXT NOT NULL,
          name TEXT NOT NULL,
          body TEXT NOT NULL,
          PRIMARY KEY (kind, name)
        ) WITHOUT ROWID;
        INSERT OR IGNORE INTO meta (key, value) VALUES ('registry_version', 0);

        CREATE TABLE parked_types (
          function_type TEXT PRIMARY KEY,
          since INTEGER NOT NULL
        ) WITHOUT ROWID;

        CREATE INDEX messages_target_type ON messages (target_namespace, target_type, seq) WHERE due_at IS NULL;
      `);
    },
  },
  {
    // Cluster semantics (one process, but the same rules as PostgreSQL): members and egress claims.
    version: 5,
    up(db) {
      db.exec(`
        CREATE TABLE members (owner TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID;
        ALTER TABLE egress ADD COLUMN claimed_by TEXT;
        ALTER TABLE egress ADD COLUMN claimed_until INTEGER;
      `);
    },
  },
  {
    // What each idempotency key stood for (a hash of target, type and body): a reuse for another request is refused.
    version: 6,
    up(db) {
      db.exec("ALTER TABLE idempotency_keys ADD COLUMN fingerprint TEXT");
    },
  },
  {
    // Ingress source positions (Kafka partitions), committed with the messages they produced.
    version: 7,
    up(db) {
      db.exec(`
        CREATE TABLE source_positions (
          source TEXT NOT NULL,
          partition TEXT NOT NULL,
          position INTEGER NOT NULL,
          PRIMARY KEY (source, partition)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    // Deliverer leases: which worker delivers a Kafka egress's outbox (version 8 is another change's).
    version: 9,
    up(db) {
      db.exec(DELIVERER_LEASES_SCHEMA);
    },
  },
];

/** Applies the migrations the database has not seen yet, each in its own transaction. */
export function migrate(db: Database.Database, file: string, steps: readonly Migration[] = migrations): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  const latest = steps.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new StatefunError(
      "STATEFUN_BAD_CONFIG",
      `${file} has schema version ${current}, newer than this store knows (${latest}); upgrade Statefun TS`,
    );
  }
  for (const step of steps) {
    if (step.version <= current) continue;
    db.transaction(() => {
      step.up(db);
      db.pragma(`user_version = ${step.version}`);
    })();
  }
}

/** Records `keyGroups` when the store is new; afterwards the stored value wins. */
export function keyGroupsOf(db: Database.Database, requested: number): number {
  db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('key_groups', ?)").run(requested);
  return db.prepare("SELECT value FROM meta WHERE key = 'key_groups'").pluck().get() as number;
}
