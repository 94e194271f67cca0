import { StatefunError } from "@statefun-ts/protocol";
import type { NextIdOf, SnapshotCounts, SnapshotRecord, StateSpecInfo } from "@statefun-ts/runtime/spi";
import { holdsRows, MESSAGE_COLUMNS, NEXT_ID_OF, type Row, toDeadLetter, toEgressRow, toMessage } from "@statefun-ts/runtime/spi";
import type Database from "better-sqlite3";
import { idempotencyKeyStatements } from "./snapshot-keys.js";
import { readSourcePositions, sourcePositionStatements } from "./snapshot-sources.js";

/** Rows of each table, in one read. */
const COUNTS = `SELECT
  (SELECT count(*) FROM registry), (SELECT count(*) FROM state_specs), (SELECT count(*) FROM parked_types),
  (SELECT count(*) FROM state), (SELECT count(*) FROM messages), (SELECT count(*) FROM egress),
  (SELECT count(*) FROM dead_letters), (SELECT count(*) FROM replies)`;

export function snapshotCounts(db: Database.Database): SnapshotCounts {
  const row = db.prepare(COUNTS).raw(true).get() as number[];
  const keys = idempotencyKeyStatements(db).count();
  return {
    "registry-version": 1,
    registry: row[0]!,
    "state-spec": row[1]!,
    parked: row[2]!,
    state: row[3]!,
    message: row[4]!,
    egress: row[5]!,
    "dead-letter": row[6]!,
    reply: row[7]!,
    "idempotency-key": keys,
    "source-position": sourcePositionStatements(db).count(),
    "next-id": NEXT_ID_OF.length,
  };
}

/** The `AUTOINCREMENT` table of each kind of row whose ids are never given twice. */
export const ID_TABLES: Readonly<Record<NextIdOf, string>> = { "dead-letter": "dead_letters", egress: "egress" };

/** The id `table` gives next: above every id it ever gave (`sqlite_sequence` keeps the largest). */
export function nextId(db: Database.Database, table: string): number {
  const given = db
    .prepare(`SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?), 0), coalesce((SELECT max(id) FROM ${table}), 0))`)
    .pluck()
    .get(table) as number;
  return given + 1;
}

/** True when the store holds no row of any kind (a new store). */
export function isEmpty(db: Database.Database): boolean {
  return !holdsRows(snapshotCounts(db));
}

function raw(db: Database.Database, sql: string) {
  return db.prepare<unknown[], Row>(sql).raw(true);
}

/**
 * Streams every row in pages of `pageSize`, inside one read transaction (a consistent snapshot).
 * The store must not commit while the snapshot is read (its connection is the only one): a
 * running worker exports through a backup copy instead (see `backup.ts`).
 */
export async function* readSqliteSnapshot(db: Database.Database, pageSize: number): AsyncGenerator<SnapshotRecord> {
  if (db.inTransaction) throw new StatefunError("STATEFUN_BAD_CONFIG", "cannot read a snapshot inside another transaction");
  db.exec("BEGIN");
  try {
    const version = db.prepare("SELECT value FROM meta WHERE key = 'registry_version'").pluck().get() as number;
    yield { kind: "registry-version", version: Number(version ?? 0) };
    for (const [kind, name, body] of raw(db, "SELECT kind, name, body FROM registry ORDER BY kind, name").all()) {
      yield { kind: "registry", entry: { kind: kind as "module" | "function", name: name as string, body: body as string } };
    }
    const specs = raw(db, "SELECT function_type, name, typename, expire_mode, expire_millis FROM state_specs ORDER BY function_type, name");
    for (const [functionType, name, typename, mode, millis] of specs.all()) {
      const expiration: StateSpecInfo["expiration"] =
        mode === "after-write" || mode === "after-call" ? { mode, millis: millis as number } : { mode: "none" };
      yield {
        kind: "state-spec",
        functionType: functionType as string,
        spec: { name: name as string, typename: typename as string, expiration },
      };
    }
    for (const [functionType, since] of raw(db, "SELECT function_type, since FROM parked_types ORDER BY function_type").all()) {
      yield { kind: "parked", functionType: functionType as string, since: since as number };
    }

    const state = raw(
      db,
      `SELECT namespace, type, id, name, key_group, typename, value, expires_at FROM state
       WHERE (namespace, type, id, name) > (?, ?, ?, ?) ORDER BY namespace, type, id, name LIMIT ?`,
    );
    let after: unknown[] = ["", "", "", ""];
    for (;;) {
      const rows = state.all(...after, pageSize);
      for (const r of rows) {
        const value = { typename: r[5] as string, value: bytes(r[6]) };
        const address = { namespace: r[0] as string, type: r[1] as string, id: r[2] as string };
        yield { kind: "state", address, keyGroup: r[4] as number, name: r[3] as string, value, ...optional("expiresAt", r[7]) };
      }
      if (rows.length < pageSize) break;
      after = rows.at(-1)!.slice(0, 4) as unknown[];
    }

    yield* pages(raw(db, `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE seq > ? ORDER BY seq LIMIT ?`), pageSize, (r) => ({
      kind: "message",
      message: toMessage(r),
    }));
    yield* pages(
      raw(db, "SELECT id, egress, topic, typename, value, created_at FROM egress WHERE id > ? ORDER BY id LIMIT ?"),
      pageSize,
      (r) => ({
        kind: "egress",
        row: toEgressRow(r),
      }),
    );
    yield* pages(
      raw(db, `SELECT id, ${MESSAGE_COLUMNS}, error, attempts, failed_at FROM dead_letters WHERE id > ? ORDER BY id LIMIT ?`),
      pageSize,
      (r) => ({ kind: "dead-letter", letter: toDeadLetter(r) }),
    );

    const replies = raw(db, "SELECT request_id, typename, value, created_at FROM replies WHERE request_id > ? ORDER BY request_id LIMIT ?");
    let afterReply = "";
    for (;;) {
      const rows = replies.all(afterReply, pageSize);
      for (const r of rows) {
        const argument = { typename: r[1] as string, value: bytes(r[2]) };
        yield { kind: "reply", requestId: r[0] as string, argument, createdAt: r[3] as number };
      }
      if (rows.length < pageSize) break;
      afterReply = rows.at(-1)![0] as string;
    }

    const keys = idempotencyKeyStatements(db);
    let afterKey = "";
    for (;;) {
      const rows = keys.page(afterKey, pageSize);
      for (const row of rows) yield { kind: "idempotency-key", ...row };
      if (rows.length < pageSize) break;
      afterKey = rows.at(-1)!.key;
    }

    for (const row of readSourcePositions(db, pageSize)) yield { kind: "source-position", ...row };
    for (const of of NEXT_ID_OF) yield { kind: "next-id", of, next: nextId(db, ID_TABLES[of]) };
  } finally {
    db.exec("COMMIT");
  }
}

/** Pages of a statement keyed by an integer first column (`WHERE key > ? … LIMIT ?`). */
function* pages(
  statement: Database.Statement<unknown[], Row>,
  pageSize: number,
  toRecord: (row: Row) => SnapshotRecord,
): Generator<SnapshotRecord> {
  let after = Number.MIN_SAFE_INTEGER;
  for (;;) {
    const rows = statement.all(after, pageSize);
    for (const row of rows) yield toRecord(row);
    if (rows.length < pageSize) return;
    after = rows.at(-1)![0] as number;
  }
}

function bytes(value: unknown): Uint8Array {
  const buffer = value as Uint8Array;
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function optional<K extends string>(key: K, value: unknown): { [P in K]?: number } {
  return value === null || value === undefined ? {} : ({ [key]: value as number } as { [P in K]?: number });
}
