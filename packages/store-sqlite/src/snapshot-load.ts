import { StatefunError } from "@statefun-ts/protocol";
import { type LoadOptions, MESSAGE_COLUMNS, type SnapshotCounts, type SnapshotRecord, zeroCounts } from "@statefun-ts/runtime/spi";
import type Database from "better-sqlite3";
import { MESSAGE_PARAMS, pushMessage } from "./message-params.js";
import { idempotencyKeyStatements } from "./snapshot-keys.js";
import { ID_TABLES, isEmpty, nextId } from "./snapshot-read.js";
import { sourcePositionStatements } from "./snapshot-sources.js";

/**
 * Writes `records` in one transaction (`BEGIN IMMEDIATE` … `COMMIT`): when the iterable throws,
 * everything is rolled back. Refuses a store that is not empty unless `merge`.
 */
export async function loadSqliteSnapshot(
  db: Database.Database,
  records: AsyncIterable<SnapshotRecord>,
  options: LoadOptions & { readonly where: string },
): Promise<SnapshotCounts> {
  const merge = options.merge === true;
  if (!merge && !isEmpty(db)) {
    throw new StatefunError("STATEFUN_BAD_CONFIG", `${options.where} is not empty: import into a new store, or merge with --merge`);
  }
  const s = {
    version: db.prepare("UPDATE meta SET value = ? WHERE key = 'registry_version'"),
    bump: db.prepare("UPDATE meta SET value = value + 1 WHERE key = 'registry_version'"),
    registry: db.prepare(
      "INSERT INTO registry (kind, name, body) VALUES (?, ?, ?) ON CONFLICT (kind, name) DO UPDATE SET body = excluded.body",
    ),
    spec: db.prepare(
      `INSERT INTO state_specs (function_type, name, typename, expire_mode, expire_millis) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (function_type, name) DO UPDATE SET typename = excluded.typename, expire_mode = excluded.expire_mode, expire_millis = excluded.expire_millis`,
    ),
    parked: db.prepare(
      "INSERT INTO parked_types (function_type, since) VALUES (?, ?) ON CONFLICT (function_type) DO UPDATE SET since = excluded.since",
    ),
    state: db.prepare(
      `INSERT INTO state (namespace, type, id, name, key_group, typename, value, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (namespace, type, id, name) DO UPDATE SET
         key_group = excluded.key_group, typename = excluded.typename, value = excluded.value, expires_at = excluded.expires_at`,
    ),
    message: db.prepare(`INSERT INTO messages (${MESSAGE_COLUMNS}) VALUES (${MESSAGE_PARAMS})`),
    egress: db.prepare("INSERT INTO egress (id, egress, topic, typename, value, created_at) VALUES (?, ?, ?, ?, ?, ?)"),
    deadLetter: db.prepare(
      `INSERT INTO dead_letters (id, ${MESSAGE_COLUMNS}, error, attempts, failed_at) VALUES (?, ${MESSAGE_PARAMS}, ?, ?, ?)`,
    ),
    reply: db.prepare(
      `INSERT INTO replies (request_id, typename, value, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (request_id) DO UPDATE SET typename = excluded.typename, value = excluded.value, created_at = excluded.created_at`,
    ),
  };
  const keys = idempotencyKeyStatements(db);
  const positions = sourcePositionStatements(db);
  const seqOffset = merge
    ? (db
        .prepare("SELECT max(coalesce((SELECT max(seq) FROM messages), 0), coalesce((SELECT max(seq) FROM dead_letters), 0))")
        .pluck()
        .get() as number)
    : 0;
  const counts = zeroCounts();
  const nextIds: Extract<SnapshotRecord, { kind: "next-id" }>[] = [];
  if (db.inTransaction) throw new StatefunError("STATEFUN_BAD_CONFIG", "cannot load a snapshot inside another transaction");
  db.exec("BEGIN IMMEDIATE");
  try {
    for await (const record of records) {
      counts[record.kind]++;
      switch (record.kind) {
        case "registry-version":
          if (merge) s.bump.run();
          else s.version.run(record.version);
          break;
        case "registry":
          s.registry.run(record.entry.kind, record.entry.name, record.entry.body);
          break;
        case "state-spec": {
          const { spec } = record;
          s.spec.run(
            record.functionType,
            spec.name,
            spec.typename,
            spec.expiration.mode,
            spec.expiration.mode === "none" ? 0 : spec.expiration.millis,
          );
          break;
        }
        case "parked":
          s.parked.run(record.functionType, record.since);
          break;
        case "state": {
          const { address: a } = record;
          s.state.run(
            a.namespace,
            a.type,
            a.id,
            record.name,
            record.keyGroup,
            record.value.typename,
            record.value.value,
            record.expiresAt ?? null,
          );
          break;
        }
        case "message": {
          const params: unknown[] = [];
          pushMessage(params, { ...record.message, seq: record.message.seq + seqOffset });
          s.message.run(...params);
          break;
        }
        case "egress": {
          const { row } = record;
          s.egress.run(merge ? null : row.id, row.egress, row.topic, row.argument.typename, row.argument.value, row.createdAt);
          break;
        }
        case "dead-letter": {
          const { letter } = record;
          const params: unknown[] = [merge ? null : letter.id];
          pushMessage(params, { ...letter.message, seq: letter.message.seq + seqOffset });
          s.deadLetter.run(...params, letter.error, letter.attempts, letter.failedAt);
          break;
        }
        case "reply":
          s.reply.run(record.requestId, record.argument.typename, record.argument.value, record.createdAt);
          break;
        case "idempotency-key":
          keys.insert(record);
          break;
        case "source-position":
          positions.insert(record);
          break;
        case "next-id":
          nextIds.push(record);
          break;
      }
    }
    // Last, after every row got its id: the ids the source gave are never given again here.
    for (const { of, next } of nextIds) raiseNextId(db, ID_TABLES[of], next);
    db.exec("COMMIT");
  } catch (error) {
    if (db.inTransaction) db.exec("ROLLBACK");
    throw error;
  }
  return counts;
}

/** Makes `table` give ids from `next` on, unless it would give higher ones already. */
function raiseNextId(db: Database.Database, table: string, next: number): void {
  if (nextId(db, table) >= next) return;
  const raised = db.prepare("UPDATE sqlite_sequence SET seq = ? WHERE name = ?").run(next - 1, table);
  if (raised.changes === 0) db.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)").run(table, next - 1);
}
