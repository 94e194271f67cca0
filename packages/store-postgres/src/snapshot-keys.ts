import type pg from "pg";
import { int8Array, textArray } from "./arrays.js";

/**
 * The idempotency keys of a snapshot: kept apart from the other tables so a change of the
 * `idempotency_keys` table touches this file only.
 */
export interface IdempotencyKeyRow {
  readonly key: string;
  readonly requestId: string;
  readonly createdAt: number;
  readonly fingerprint?: string | undefined;
}

/** Every key in byte order (for a cursor); columns `key, request_id, created_at, fingerprint`. */
export const IDEMPOTENCY_KEYS_IN_ORDER = 'SELECT key, request_id, created_at, fingerprint FROM idempotency_keys ORDER BY key COLLATE "C"';

export function toIdempotencyKey(row: readonly unknown[]): IdempotencyKeyRow {
  const fingerprint = row[3] as string | null;
  return {
    key: row[0] as string,
    requestId: row[1] as string,
    createdAt: row[2] as number,
    ...(fingerprint === null ? {} : { fingerprint }),
  };
}

export async function insertIdempotencyKeys(client: pg.PoolClient, rows: readonly IdempotencyKeyRow[]): Promise<void> {
  await client.query(
    `INSERT INTO idempotency_keys (key, request_id, created_at, fingerprint)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[])
     ON CONFLICT (key) DO UPDATE SET request_id = excluded.request_id, created_at = excluded.created_at, fingerprint = excluded.fingerprint`,
    [
      textArray(rows.map((r) => r.key)),
      textArray(rows.map((r) => r.requestId)),
      int8Array(rows.map((r) => r.createdAt)),
      textArray(rows.map((r) => r.fingerprint ?? null)),
    ],
  );
}

export const COUNT_IDEMPOTENCY_KEYS = "(SELECT count(*) FROM idempotency_keys)";
