import type { OrderedEgressRow } from "@statefun-ts/runtime/spi";
import { bytes } from "@statefun-ts/runtime/spi";
import type Database from "better-sqlite3";

const ORDERED = "SELECT id, egress, topic, typename, value, created_at FROM egress WHERE topic = '' AND id > ? ORDER BY id LIMIT ?";
const prepared = new WeakMap<Database.Database, Database.Statement<unknown[], unknown[]>>();

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
