import { StatefunError } from "@statefun-ts/protocol";
import {
  type DeadLetter,
  type EgressRow,
  holdsRows,
  type LoadOptions,
  MESSAGE_COLUMNS,
  type SnapshotCounts,
  type SnapshotRecord,
  type StoredMessage,
  zeroCounts,
} from "@statefun-ts/runtime/spi";
import type pg from "pg";
import { byteaArray, int4Array, int8Array, textArray } from "./arrays.js";
import { withClient } from "./connect.js";
import { messageArrays, messageColumns } from "./message-arrays.js";
import { type IdempotencyKeyRow, insertIdempotencyKeys } from "./snapshot-keys.js";
import { countsOn, ID_TABLES, nextId } from "./snapshot-read.js";
import { insertSourcePositions, type SourcePositionRow } from "./snapshot-sources.js";
import { SQL } from "./statements.js";

type Batch =
  | { kind: "state"; rows: Extract<SnapshotRecord, { kind: "state" }>[] }
  | { kind: "message"; rows: StoredMessage[] }
  | { kind: "egress"; rows: EgressRow[] }
  | { kind: "dead-letter"; rows: DeadLetter[] }
  | { kind: "reply"; rows: Extract<SnapshotRecord, { kind: "reply" }>[] }
  | { kind: "idempotency-key"; rows: IdempotencyKeyRow[] }
  | { kind: "source-position"; rows: SourcePositionRow[] };

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
      await client.query(
        "LOCK TABLE messages, state, egress, dead_letters, replies, idempotency_keys, source_positions IN SHARE ROW EXCLUSIVE MODE",
      );
      const before = await countsOn(client);
      if (!merge && holdsRows(before)) {
        throw new StatefunError("STATEFUN_BAD_CONFIG", `${options.where} is not empty: import into a new store, or merge with --merge`);
      }
      const { rows } = await client.query<number[]>({
        text: "SELECT greatest(coalesce((SELECT max(seq) FROM messages), 0), coalesce((SELECT max(seq) FROM dead_letters), 0))",
        rowMode: "array",
      });
      const seqOffset = merge ? rows[0]![0]! : 0;
      const counts = zeroCounts();
      const floors = new Map(Object.values(ID_TABLES).map((table) => [table, 1]));
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
          case "source-position":
            await add("source-position", record);
            break;
          case "next-id":
            floors.set(ID_TABLES[record.of], record.next);
            break;
        }
      }
      await flush();
      await client.query(SQL.raiseSeqs.text);
      // Above every id either store gave: the source's (its next-id records) and this one's.
      for (const [table, floor] of floors) {
        const next = Math.max(floor, await nextId(client, table));
        await client.query("SELECT setval(pg_get_serial_sequence($1, 'id'), $2, false)", [table, next]);
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
    case "source-position":
      await insertSourcePositions(client, batch.rows);
      return;
  }
}
