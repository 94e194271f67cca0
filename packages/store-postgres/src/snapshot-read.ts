import type { NextIdOf, SnapshotCounts, SnapshotRecord, StateSpecInfo } from "@statefun-ts/runtime/spi";
import { MESSAGE_COLUMNS, NEXT_ID_OF, type Row, toDeadLetter, toEgressRow, toMessage } from "@statefun-ts/runtime/spi";
import type pg from "pg";
import { COUNT_IDEMPOTENCY_KEYS, IDEMPOTENCY_KEYS_IN_ORDER, toIdempotencyKey } from "./snapshot-keys.js";
import { COUNT_SOURCE_POSITIONS, SOURCE_POSITIONS_IN_ORDER, toSourcePosition } from "./snapshot-sources.js";

const C = 'COLLATE "C"';

const COUNTS = `SELECT (SELECT count(*) FROM registry), (SELECT count(*) FROM state_specs), (SELECT count(*) FROM parked_types),
  (SELECT count(*) FROM state), (SELECT count(*) FROM messages), (SELECT count(*) FROM egress),
  (SELECT count(*) FROM dead_letters), (SELECT count(*) FROM replies), ${COUNT_IDEMPOTENCY_KEYS},
  ${COUNT_SOURCE_POSITIONS}`;

export async function countsOn(client: pg.PoolClient | pg.Pool): Promise<SnapshotCounts> {
  const { rows } = await client.query<number[]>({ text: COUNTS, rowMode: "array" });
  const [registry, specs, parked, state, message, egress, dead, reply, keys, positions] = rows[0]!;
  return {
    "registry-version": 1,
    registry: registry!,
    "state-spec": specs!,
    parked: parked!,
    state: state!,
    message: message!,
    egress: egress!,
    "dead-letter": dead!,
    reply: reply!,
    "idempotency-key": keys!,
    "source-position": positions!,
    "next-id": NEXT_ID_OF.length,
  };
}

/** The identity-column table of each kind of row whose ids are never given twice. */
export const ID_TABLES: Readonly<Record<NextIdOf, string>> = { "dead-letter": "dead_letters", egress: "egress" };

/**
 * The id `table` gives next: above every id its identity sequence ever gave. Sequences are not
 * transactional, so inside a snapshot this may be above the snapshot's rows: a floor, never too low.
 */
export async function nextId(client: pg.PoolClient | pg.Pool, table: string): Promise<number> {
  const { rows: named } = await client.query<[string]>({
    text: "SELECT pg_get_serial_sequence($1, 'id')",
    values: [table],
    rowMode: "array",
  });
  const { rows } = await client.query<[string]>({
    text: `SELECT greatest(CASE WHEN s.is_called THEN s.last_value + 1 ELSE s.last_value END, coalesce((SELECT max(id) FROM ${table}), 0) + 1)
           FROM ${named[0]![0]} s`,
    rowMode: "array",
  });
  return Number(rows[0]![0]);
}

export function postgresCounts(pool: pg.Pool): Promise<SnapshotCounts> {
  return countsOn(pool);
}

/** Rows of a query through a server-side cursor, `pageSize` at a time (inside the open transaction). */
async function* cursor(client: pg.PoolClient, name: string, sql: string, pageSize: number): AsyncGenerator<Row> {
  await client.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${sql}`);
  for (;;) {
    const { rows } = await client.query<unknown[]>({ text: `FETCH ${pageSize} FROM ${name}`, rowMode: "array" });
    yield* rows;
    if (rows.length < pageSize) break;
  }
  await client.query(`CLOSE ${name}`);
}

function bytes(value: unknown): Uint8Array {
  const buffer = value as Uint8Array;
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * Streams every row of one `REPEATABLE READ` read-only transaction (a consistent snapshot, while
 * workers keep committing), through cursors, `pageSize` rows at a time. Text keys are ordered
 * `COLLATE "C"` (byte order), as SQLite orders them, so both stores stream the same records.
 */
export async function* readPostgresSnapshot(pool: pg.Pool, pageSize: number): AsyncGenerator<SnapshotRecord> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const { rows } = await client.query<{ value: string }>("SELECT value FROM meta WHERE key = 'registry_version'");
    yield { kind: "registry-version", version: Number(rows[0]?.value ?? 0) };
    for await (const [kind, name, body] of cursor(
      client,
      "sf_registry",
      `SELECT kind, name, body FROM registry ORDER BY kind ${C}, name ${C}`,
      pageSize,
    )) {
      yield { kind: "registry", entry: { kind: kind as "module" | "function", name: name as string, body: body as string } };
    }
    const specs = `SELECT function_type, name, typename, expire_mode, expire_millis FROM state_specs ORDER BY function_type ${C}, name ${C}`;
    for await (const [functionType, name, typename, mode, millis] of cursor(client, "sf_specs", specs, pageSize)) {
      const expiration: StateSpecInfo["expiration"] =
        mode === "after-write" || mode === "after-call" ? { mode, millis: millis as number } : { mode: "none" };
      yield {
        kind: "state-spec",
        functionType: functionType as string,
        spec: { name: name as string, typename: typename as string, expiration },
      };
    }
    for await (const [functionType, since] of cursor(
      client,
      "sf_parked",
      `SELECT function_type, since FROM parked_types ORDER BY function_type ${C}`,
      pageSize,
    )) {
      yield { kind: "parked", functionType: functionType as string, since: since as number };
    }
    const state = `SELECT namespace, type, id, name, key_group, typename, value, expires_at FROM state
      ORDER BY namespace ${C}, type ${C}, id ${C}, name ${C}`;
    for await (const r of cursor(client, "sf_state", state, pageSize)) {
      yield {
        kind: "state",
        address: { namespace: r[0] as string, type: r[1] as string, id: r[2] as string },
        keyGroup: r[4] as number,
        name: r[3] as string,
        value: { typename: r[5] as string, value: bytes(r[6]) },
        ...(r[7] === null ? {} : { expiresAt: r[7] as number }),
      };
    }
    for await (const r of cursor(client, "sf_messages", `SELECT ${MESSAGE_COLUMNS} FROM messages ORDER BY seq`, pageSize)) {
      yield { kind: "message", message: toMessage(r) };
    }
    const egress = "SELECT id, egress, topic, typename, value, created_at FROM egress ORDER BY id";
    for await (const r of cursor(client, "sf_egress", egress, pageSize)) yield { kind: "egress", row: toEgressRow(r) };
    const dead = `SELECT id, ${MESSAGE_COLUMNS}, error, attempts, failed_at FROM dead_letters ORDER BY id`;
    for await (const r of cursor(client, "sf_dead", dead, pageSize)) yield { kind: "dead-letter", letter: toDeadLetter(r) };
    const replies = `SELECT request_id, typename, value, created_at FROM replies ORDER BY request_id ${C}`;
    for await (const r of cursor(client, "sf_replies", replies, pageSize)) {
      yield {
        kind: "reply",
        requestId: r[0] as string,
        argument: { typename: r[1] as string, value: bytes(r[2]) },
        createdAt: r[3] as number,
      };
    }
    for await (const r of cursor(client, "sf_keys", IDEMPOTENCY_KEYS_IN_ORDER, pageSize)) {
      yield { kind: "idempotency-key", ...toIdempotencyKey(r) };
    }
    for await (const r of cursor(client, "sf_sources", SOURCE_POSITIONS_IN_ORDER, pageSize)) {
      yield { kind: "source-position", ...toSourcePosition(r) };
    }
    for (const of of NEXT_ID_OF) yield { kind: "next-id", of, next: await nextId(client, ID_TABLES[of]) };
    await client.query("COMMIT");
  } catch (error) {
    broken = error as Error;
    throw error;
  } finally {
    // A snapshot abandoned half-way leaves its transaction open: drop the connection.
    if (broken === undefined) await client.query("ROLLBACK").catch(() => {});
    client.release(broken ?? undefined);
  }
}
