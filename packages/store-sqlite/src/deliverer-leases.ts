import type { DelivererLease } from "@statefun-ts/runtime/spi";
import type Database from "better-sqlite3";

/** The table of deliverer leases (migration 9); a released lease keeps its row and epoch with an empty owner. */
export const DELIVERER_LEASES_SCHEMA = `
  CREATE TABLE deliverer_leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, epoch INTEGER NOT NULL) WITHOUT ROWID;
`;

const RELEASED = "";

/**
 * `DelivererLeases` on SQLite (the semantics of the runtime's `store/deliverer-leases.ts`), each
 * call one transaction. One process opens the store, so `Date.now()` is the clock of membership.
 */
export class SqliteDelivererLeases {
  private readonly db: Database.Database;
  private readonly lease: Database.Statement;
  private readonly take: Database.Statement;
  private readonly live: Database.Statement;
  private readonly releaseStatement: Database.Statement;

  constructor(db: Database.Database) {
    this.db = db;
    this.lease = db.prepare("SELECT owner, epoch FROM deliverer_leases WHERE name = ?").raw(true);
    this.take = db.prepare(
      "INSERT INTO deliverer_leases (name, owner, epoch) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, epoch = excluded.epoch",
    );
    this.live = db.prepare("SELECT 1 FROM members WHERE owner = ? AND expires_at > ?").pluck();
    this.releaseStatement = db.prepare(`UPDATE deliverer_leases SET owner = '${RELEASED}' WHERE name = ? AND owner = ?`);
  }

  claim(name: string, owner: string): DelivererLease {
    return this.db.transaction((): DelivererLease => {
      const [holder, epoch] = (this.lease.get(name) as [string, number] | undefined) ?? [RELEASED, 0];
      if (holder === owner) return { owner, epoch };
      if (holder !== RELEASED && this.live.get(holder, Date.now()) !== undefined) return { owner: holder, epoch };
      this.take.run(name, owner, epoch + 1);
      return { owner, epoch: epoch + 1 };
    })();
  }

  release(name: string, owner: string): void {
    if (owner !== RELEASED) this.releaseStatement.run(name, owner);
  }
}

const prepared = new WeakMap<Database.Database, SqliteDelivererLeases>();

/** The deliverer leases of an open database (statements prepared once per connection). */
export function delivererLeases(db: Database.Database): SqliteDelivererLeases {
  let leases = prepared.get(db);
  if (leases === undefined) {
    leases = new SqliteDelivererLeases(db);
    prepared.set(db, leases);
  }
  return leases;
}
