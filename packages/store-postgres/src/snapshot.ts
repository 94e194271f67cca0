import { StatefunError } from "@statefun-ts/protocol";
import {
  type DeadLetter,
  type EgressRow,
  type LoadOptions,
  type SnapshotCounts,
  type SnapshotRecord,
  type StateSpecInfo,
  type StoredMessage,
  zeroCounts,
} from "@statefun-ts/runtime";
import type pg from "pg";
import { byteaArray, int4Array, int8Array, textArray } from "./arrays.js";
import { withClient } from "./connect.js";
import { MESSAGE_COLUMNS, messageArrays, messageColumns, type Row, toDeadLetter, toEgressRow, toMessage } from "./rows.js";
import {
  COUNT_IDEMPOTENCY_KEYS,
  IDEMPOTENCY_KEYS_IN_ORDER,
  type IdempotencyKeyRow,
  insertIdempotencyKeys,
  toIdempotencyKey,
} from "./snapshot-keys.js";
import { SQL } from "./statements.js";

const C = 'COLLATE "C"';

const COUNTS = `SELECT (SELECT count(*) FROM registry), (SELECT count(*) FROM state_specs), (SELECT count(*) FROM parked_types),
  (SELECT count(*) FROM state), (SELECT count(*) FROM messages), (SELECT count(*) FROM egress),
  (SELECT count(*) FROM dead_letters), (SELECT count(*) FROM replies), ${COUNT_IDEMPOTENCY_KEYS}`;

async function countsOn(client: pg.PoolClient | pg.Pool): Promise<SnapshotCounts> {
  const { rows } = await client.query<number[]>({ text: COUNTS, rowMode: "array" });
  const [registry, specs, parked, state, message, egress, dead, reply, keys] = rows[0]!;
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
  };
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

type Batch =
  | { kind: "state"; rows: Extract<SnapshotRecord, { kind: "state" }>[] }
  | { kind: "message"; rows: StoredMessage[] }
  | { kind: "egress"; rows: EgressRow[] }
  | { kind: "dead-letter"; rows: DeadLetter[] }
  | { kind: "reply"; rows: Extract<SnapshotRecord, { kind: "reply" }>[] }
  | { kind: "idempotency-key"; rows: IdempotencyKeyRow[] };

/** Rows per multi-row insert. */
const BATCH = 1000;

/**
 * Writes `records` in one transaction (multi-row inserts of up to 1,000 rows): when the iterable
 * throws, everything is rolled back. Refuses a store that is not empty unless `merge`.
 */
export function loadPostgresSnapshot(
  pool: pg.Pool,
  records: AsyncIterable<SnapshotRecord>,
  options: LoadOptions & { readonly where: string },
): Promise<SnapshotCounts> {
  const merge = options.merge === true;
  return withClient(pool, async (client) => {
    await client.query("BEGIN");
    try {
      // One loader at a time, and no commit of a worker meanwhile changes what "empty" meant.
      await client.query("LOCK TABLE messages, state, egress, dead_letters, replies, idempotency_keys IN SHARE ROW EXCLUSIVE MODE");
      const before = await countsOn(client);
      if (!merge && Object.entries(before).some(([kind, n]) => kind !== "registry-version" && n > 0)) {
        throw new StatefunError("STATEFUN_BAD_CONFIG", `${options.where} is not empty: import into a new store, or merge with --merge`);
      }
      const { rows } = await client.query<number[]>({
        text: "SELECT greatest(coalesce((SELECT max(seq) FROM messages), 0), coalesce((SELECT max(seq) FROM dead_letters), 0))",
        rowMode: "array",
      });
      const seqOffset = merge ? rows[0]![0]! : 0;
      const counts = zeroCounts();
      let batch: Batch | undefined;
      const flush = async () => {
        if (batch !== undefined && batch.rows.length > 0) await insertBatch(client, batch, { merge, seqOffset });
        batch = undefined;
      };
      const add = async <K extends Batch["kind"]>(kind: K, row: Extract<Batch, { kind: K }>["rows"][number]) => {
        if (batch?.kind !== kind) await flush();
        batch ??= { kind, rows: [] } as unknown as Batch;
        (batch.rows as unknown[]).push(row);
        if (batch.rows.length >= BATCH) await flush();
      };
      for await (const record of records) {
        counts[record.kind]++;
        switch (record.kind) {
          case "registry-version":
            await flush();
            await client.query(
              merge
                ? "UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'registry_version'"
                : "UPDATE meta SET value = $1 WHERE key = 'registry_version'",
              merge ? [] : [String(record.version)],
            );
            break;
          case "registry":
            await flush();
            await client.query(
              "INSERT INTO registry (kind, name, body) VALUES ($1, $2, $3) ON CONFLICT (kind, name) DO UPDATE SET body = excluded.body",
              [record.entry.kind, record.entry.name, record.entry.body],
            );
            break;
          case "state-spec": {
            await flush();
            const { spec } = record;
            await client.query(
              `INSERT INTO state_specs (function_type, name, typename, expire_mode, expire_millis) VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (function_type, name) DO UPDATE SET
                 typename = excluded.typename, expire_mode = excluded.expire_mode, expire_millis = excluded.expire_millis`,
              [
                record.functionType,
                spec.name,
                spec.typename,
                spec.expiration.mode,
                spec.expiration.mode === "none" ? 0 : spec.expiration.millis,
              ],
            );
            break;
          }
          case "parked":
            await flush();
            await client.query(
              "INSERT INTO parked_types (function_type, since) VALUES ($1, $2) ON CONFLICT (function_type) DO UPDATE SET since = excluded.since",
              [record.functionType, record.since],
            );
            break;
          case "state":
            await add("state", record);
            break;
          case "message":
            await add("message", record.message);
            break;
          case "egress":
            await add("egress", record.row);
            break;
          case "dead-letter":
            await add("dead-letter", record.letter);
            break;
          case "reply":
            await add("reply", record);
            break;
          case "idempotency-key":
            await add("idempotency-key", record);
            break;
        }
      }
      await flush();
      await client.query(SQL.raiseSeqs.text);
      for (const table of ["egress", "dead_letters"]) {
        await client.query(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), coalesce(max(id), 0) + 1, false) FROM ${table}`);
      }
      await client.query("COMMIT");
      return counts;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    }
  });
}

async function insertBatch(client: pg.PoolClient, batch: Batch, options: { merge: boolean; seqOffset: number }): Promise<void> {
  const shift = (m: StoredMessage): StoredMessage => (options.seqOffset === 0 ? m : { ...m, seq: m.seq + options.seqOffset });
  switch (batch.kind) {
    case "state": {
      const r = batch.rows;
      await client.query(
        `INSERT INTO state (namespace, type, id, name, key_group, typename, value, expires_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::bytea[], $8::bigint[])
         ON CONFLICT (namespace, type, id, name) DO UPDATE SET
           key_group = excluded.key_group, typename = excluded.typename, value = excluded.value, expires_at = excluded.expires_at`,
        [
          textArray(r.map((x) => x.address.namespace)),
          textArray(r.map((x) => x.address.type)),
          textArray(r.map((x) => x.address.id)),
          textArray(r.map((x) => x.name)),
          int4Array(r.map((x) => x.keyGroup)),
          textArray(r.map((x) => x.value.typename)),
          byteaArray(r.map((x) => x.value.value)),
          int8Array(r.map((x) => x.expiresAt)),
        ],
      );
      return;
    }
    case "message":
      await client.query(
        `INSERT INTO messages (${MESSAGE_COLUMNS}) SELECT * FROM unnest(${messageArrays()})`,
        messageColumns(batch.rows.map(shift)),
      );
      return;
    case "egress": {
      const r = batch.rows;
      const columns = [
        textArray(r.map((x) => x.egress)),
        textArray(r.map((x) => x.topic)),
        textArray(r.map((x) => x.argument.typename)),
        byteaArray(r.map((x) => x.argument.value)),
        int8Array(r.map((x) => x.createdAt)),
      ];
      if (options.merge) {
        await client.query(
          `INSERT INTO egress (egress, topic, typename, value, created_at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::bigint[])`,
          columns,
        );
      } else {
        await client.query(
          `INSERT INTO egress (egress, topic, typename, value, created_at, id) OVERRIDING SYSTEM VALUE
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::bigint[], $6::bigint[])`,
          [...columns, int8Array(r.map((x) => x.id))],
        );
      }
      return;
    }
    case "dead-letter": {
      const r = batch.rows;
      const columns = [
        ...messageColumns(r.map((x) => shift(x.message))),
        textArray(r.map((x) => x.error)),
        int4Array(r.map((x) => x.attempts)),
        int8Array(r.map((x) => x.failedAt)),
      ];
      const source = `unnest(${messageArrays()}, $13::text[], $14::int[], $15::bigint[]${options.merge ? "" : ", $16::bigint[]"})`;
      await client.query(
        options.merge
          ? `INSERT INTO dead_letters (${MESSAGE_COLUMNS}, error, attempts, failed_at) SELECT * FROM ${source}`
          : `INSERT INTO dead_letters (${MESSAGE_COLUMNS}, error, attempts, failed_at, id) OVERRIDING SYSTEM VALUE SELECT * FROM ${source}`,
        options.merge ? columns : [...columns, int8Array(r.map((x) => x.id))],
      );
      return;
    }
    case "reply": {
      const r = batch.rows;
      await client.query(
        `INSERT INTO replies (request_id, typename, value, created_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::bigint[])
         ON CONFLICT (request_id) DO UPDATE SET typename = excluded.typename, value = excluded.value, created_at = excluded.created_at`,
        [
          textArray(r.map((x) => x.requestId)),
          textArray(r.map((x) => x.argument.typename)),
          byteaArray(r.map((x) => x.argument.value)),
          int8Array(r.map((x) => x.createdAt)),
        ],
      );
      return;
    }
    case "idempotency-key":
      await insertIdempotencyKeys(client, batch.rows);
      return;
  }
}
