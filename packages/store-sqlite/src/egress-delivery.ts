import type { OrderedEgressRow } from "@statefun-ts/runtime/spi";
import { bytes } from "@statefun-ts/runtime/spi";
import type Database from "better-sqlite3";

const ORDERED = "SELECT id, egress, topic, typename, value, created_at FROM egress WHERE topic = '' AND id > ? ORDER BY id LIMIT ?";
const DELETE_ORDERED = "DELETE FROM egress WHERE topic = '' AND egress = ? AND id BETWEEN ? AND ?";
const prepared = new WeakMap<Database.Database, Database.Statement<unknown[], unknown[]>>();
const preparedDeletes = new WeakMap<Database.Database, Database.Statement<unknown[], unknown>>();

/**
 * `EgressDelivery.orderedEgress` on SQLite: one connection commits one transaction at a time and
 * `AUTOINCREMENT` never gives an id twice, so ids are in commit order and `seq` is the id.
 */
export function orderedEgress(db: Database.Database, after: number, limit: number): OrderedEgressRow[] {
  let statement = prepared.get(db);
  if (statement === undefined) {
    statement = db.prepare<unknown[], unknown[]>(ORDERED).raw(true);
    prepared.set(db, statement);
  }
  // One object per row (no spread of a decoded row): this read is on the path of every Kafka egress record.
  return statement.all(after, limit).map((row) => {
    const [id, egress, topic, typename, value, createdAt] = row as [number, string, string, string, Uint8Array, number];
    return { id, egress, topic, argument: { typename, value: bytes(value) }, createdAt, seq: id };
  });
}

/**
 * `EgressDelivery.deleteOrderedEgress` on SQLite: one range delete, committed without waiting for
 * the disk (`synchronous = NORMAL` for this statement alone: the WAL is synced with the next
 * commit of the store, which keeps every commit before it). A deliverer deletes a round of rows
 * with one statement, not one parameter per row, and the engine's thread does not wait for an
 * fsync per round.
 */
export function deleteOrderedEgress(
  db: Database.Database,
  egress: string,
  first: number,
  last: number,
  synchronous: "full" | "normal",
): number {
  let statement = preparedDeletes.get(db);
  if (statement === undefined) {
    statement = db.prepare<unknown[], unknown>(DELETE_ORDERED);
    preparedDeletes.set(db, statement);
  }
  if (synchronous === "normal") return statement.run(egress, first, last).changes;
  db.pragma("synchronous = NORMAL");
  try {
    return statement.run(egress, first, last).changes;
  } finally {
    db.pragma("synchronous = FULL");
  }
}
