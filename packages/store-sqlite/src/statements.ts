import { INSTANCE_ROW, MESSAGE_COLUMNS, type Row } from "@statefun-ts/runtime/spi";
import type Database from "better-sqlite3";
import { type Bulk, bulkDelete, bulkInsert } from "./bulk.js";
import { MESSAGE_PARAMS } from "./message-params.js";

type Statement = Database.Statement<unknown[], unknown>;
type RawStatement = Database.Statement<unknown[], Row>;

/** Every statement the store runs, prepared once when it opens. */
export interface Statements {
  readonly leaseOf: RawStatement;
  /**
   * `leaseOf`'s rows as last read, for the commit's fence check (one SELECT per touched key
   * group per commit otherwise). This connection is the file's only one (`openExclusive`), so
   * every lease write goes through it, and each clears this map first: `acquire`, `claim`, `release`.
   */
  readonly leaseCache: Map<number, Row>;
  readonly acquireLease: Statement;
  readonly insertIdempotencyKey: Statement;
  readonly requestIdOf: Statement;
  readonly fingerprintOf: Statement;
  readonly insertMessages: Bulk;
  readonly deleteMessages: Bulk;
  readonly cancelDelayed: Statement;
  readonly upsertStates: Bulk;
  readonly deleteState: Statement;
  readonly deleteStateIfExpired: Statement;
  readonly deleteInstance: Statement;
  readonly deleteInstanceRowIfExpired: Statement;
  readonly insertEgress: Bulk;
  /** The rowid of the last row this connection inserted (`last_insert_rowid()`). */
  readonly lastRowid: Statement;
  readonly upsertReplies: Bulk;
  readonly insertDeadLetter: Statement;
  readonly deleteDeadLetter: Statement;

  readonly messagesAfter: RawStatement;
  readonly timersAfter: RawStatement;
  readonly stateOf: RawStatement;
  readonly expiredState: RawStatement;
  readonly replyOf: RawStatement;
  readonly egressOfTopic: RawStatement;
  readonly deleteEgress: Bulk;
  readonly deadLettersAfter: RawStatement;
  readonly deadLetterOf: RawStatement;
  readonly purgeReplies: Statement;
  readonly purgeIdempotencyKeys: Statement;
  readonly stateSpecs: RawStatement;
  readonly upsertStateSpec: Statement;
  readonly stats: RawStatement;
  readonly maxSeq: Statement;
}

/** Rows per multi-row statement: past about 10 the gain flattens. */
const CHUNK = 16;

export function prepareStatements(db: Database.Database): Statements {
  const run = (sql: string): Statement => db.prepare(sql);
  const raw = (sql: string): RawStatement => db.prepare<unknown[], Row>(sql).raw(true);
  return {
    leaseOf: raw("SELECT owner, epoch FROM leases WHERE key_group = ?"),
    leaseCache: new Map(),
    acquireLease: run(
      `INSERT INTO leases (key_group, owner, epoch) VALUES (?, ?, 1)
       ON CONFLICT (key_group) DO UPDATE SET owner = excluded.owner, epoch = epoch + 1
       RETURNING epoch`,
    ).pluck(),
    insertIdempotencyKey: run("INSERT OR IGNORE INTO idempotency_keys (key, request_id, created_at, fingerprint) VALUES (?, ?, ?, ?)"),
    requestIdOf: run("SELECT request_id FROM idempotency_keys WHERE key = ?").pluck(),
    fingerprintOf: run("SELECT fingerprint FROM idempotency_keys WHERE key = ?").pluck(),
    insertMessages: bulkInsert(db, `INSERT INTO messages (${MESSAGE_COLUMNS})`, 12, CHUNK),
    deleteMessages: bulkDelete(db, "messages", "seq", CHUNK),
    cancelDelayed: run("DELETE FROM messages WHERE cancellation_token = ? AND due_at IS NOT NULL"),
    upsertStates: bulkInsert(
      db,
      "INSERT INTO state (namespace, type, id, name, key_group, typename, value, expires_at)",
      8,
      CHUNK,
      `ON CONFLICT (namespace, type, id, name) DO UPDATE SET
         key_group = excluded.key_group, typename = excluded.typename, value = excluded.value, expires_at = excluded.expires_at`,
    ),
    deleteState: run("DELETE FROM state WHERE namespace = ? AND type = ? AND id = ? AND name = ?"),
    deleteStateIfExpired: run("DELETE FROM state WHERE namespace = ? AND type = ? AND id = ? AND name = ? AND expires_at <= ?"),
    deleteInstance: run("DELETE FROM state WHERE namespace = ? AND type = ? AND id = ?"),
    deleteInstanceRowIfExpired: run(
      `DELETE FROM state WHERE namespace = ? AND type = ? AND id = ? AND name = '${INSTANCE_ROW}' AND expires_at <= ?`,
    ),
    insertEgress: bulkInsert(db, "INSERT INTO egress (egress, topic, typename, value, created_at)", 5, CHUNK),
    lastRowid: db.prepare("SELECT last_insert_rowid()").pluck(),
    upsertReplies: bulkInsert(
      db,
      "INSERT INTO replies (request_id, typename, value, created_at)",
      4,
      CHUNK,
      "ON CONFLICT (request_id) DO UPDATE SET typename = excluded.typename, value = excluded.value, created_at = excluded.created_at",
    ),
    insertDeadLetter: run(`INSERT INTO dead_letters (${MESSAGE_COLUMNS}, error, attempts, failed_at) VALUES (${MESSAGE_PARAMS}, ?, ?, ?)`),
    deleteDeadLetter: run("DELETE FROM dead_letters WHERE id = ?"),

    messagesAfter: raw(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE seq > ? AND due_at IS NULL ORDER BY seq LIMIT ?`),
    timersAfter: raw(
      `SELECT ${MESSAGE_COLUMNS} FROM messages INDEXED BY messages_delayed
       WHERE due_at IS NOT NULL AND (due_at, seq) > (?, ?) AND due_at <= ? ORDER BY due_at, seq LIMIT ?`,
    ),
    stateOf: raw("SELECT name, typename, value, expires_at FROM state WHERE namespace = ? AND type = ? AND id = ? ORDER BY name"),
    expiredState: raw(
      `SELECT namespace, type, id, name, key_group, expires_at FROM state INDEXED BY state_expiry
       WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at`,
    ),
    replyOf: raw("SELECT request_id, typename, value FROM replies WHERE request_id = ?"),
    egressOfTopic: raw("SELECT id, egress, topic, typename, value, created_at FROM egress WHERE topic = ? ORDER BY id LIMIT ?"),
    // 64 ids a statement: a Kafka egress deletes its rounds of up to 10,000 delivered rows.
    deleteEgress: bulkDelete(db, "egress", "id", 64),
    deadLettersAfter: raw(`SELECT id, ${MESSAGE_COLUMNS}, error, attempts, failed_at FROM dead_letters WHERE id > ? ORDER BY id LIMIT ?`),
    deadLetterOf: raw(`SELECT id, ${MESSAGE_COLUMNS}, error, attempts, failed_at FROM dead_letters WHERE id = ?`),
    purgeReplies: run(
      "DELETE FROM replies WHERE request_id IN (SELECT request_id FROM replies WHERE created_at < ? ORDER BY created_at LIMIT ?)",
    ),
    purgeIdempotencyKeys: run(
      "DELETE FROM idempotency_keys WHERE key IN (SELECT key FROM idempotency_keys WHERE created_at < ? ORDER BY created_at LIMIT ?)",
    ),
    stateSpecs: raw("SELECT function_type, name, typename, expire_mode, expire_millis FROM state_specs"),
    upsertStateSpec: run(
      `INSERT INTO state_specs (function_type, name, typename, expire_mode, expire_millis) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (function_type, name) DO UPDATE SET typename = excluded.typename, expire_mode = excluded.expire_mode, expire_millis = excluded.expire_millis`,
    ),
    stats: raw(
      `SELECT (SELECT count(*) FROM messages WHERE due_at IS NULL), (SELECT count(*) FROM messages WHERE due_at IS NOT NULL),
              (SELECT count(*) FROM egress), (SELECT count(*) FROM dead_letters)`,
    ),
    maxSeq: run("SELECT max(coalesce((SELECT max(seq) FROM messages), 0), coalesce((SELECT max(seq) FROM dead_letters), 0))").pluck(),
  };
}
