import type Database from "better-sqlite3";

/**
 * The idempotency keys of a snapshot: kept apart from the other tables so a change of the
 * `idempotency_keys` table touches this file only. Columns `key, request_id, created_at, fingerprint`.
 */
export interface IdempotencyKeyRow {
  readonly key: string;
  readonly requestId: string;
  readonly createdAt: number;
  readonly fingerprint?: string | undefined;
}

export interface IdempotencyKeyStatements {
  /** Keys after `after` in byte order, at most `limit`. */
  page(after: string, limit: number): IdempotencyKeyRow[];
  insert(row: IdempotencyKeyRow): void;
  count(): number;
}

export function idempotencyKeyStatements(db: Database.Database): IdempotencyKeyStatements {
  const page = db.prepare<[string, number], [string, string, number, string | null]>(
    "SELECT key, request_id, created_at, fingerprint FROM idempotency_keys WHERE key > ? ORDER BY key LIMIT ?",
  );
  const insert = db.prepare(
    `INSERT INTO idempotency_keys (key, request_id, created_at, fingerprint) VALUES (?, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET request_id = excluded.request_id, created_at = excluded.created_at, fingerprint = excluded.fingerprint`,
  );
  const count = db.prepare("SELECT count(*) FROM idempotency_keys").pluck();
  return {
    page(after: string, limit: number): IdempotencyKeyRow[] {
      return (page.raw(true).all(after, limit) as unknown as [string, string, number, string | null][]).map(
        ([key, requestId, createdAt, fingerprint]) => ({ key, requestId, createdAt, ...(fingerprint === null ? {} : { fingerprint }) }),
      );
    },
    insert(row: IdempotencyKeyRow): void {
      insert.run(row.key, row.requestId, row.createdAt, row.fingerprint ?? null);
    },
    count: () => count.get() as number,
  };
}
