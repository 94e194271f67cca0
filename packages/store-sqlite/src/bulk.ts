import type Database from "better-sqlite3";

type Statement = Database.Statement<unknown[], unknown>;

/** `(?, ?), (?, ?)`: `rows` groups of `width` placeholders. */
export function placeholders(rows: number, width: number): string {
  const row = `(${Array.from({ length: width }, () => "?").join(", ")})`;
  return Array.from({ length: rows }, () => row).join(", ");
}

/**
 * Runs a one-row statement for many rows, `rows` at a time through a multi-row form of it
 * prepared once: one call into SQLite per chunk instead of per row (about 1.6x the
 * throughput of row-at-a-time on a chain workload). Rows keep their order.
 *
 * Usage: push one row's `width` parameters onto `params`, call `added()`; `flush()` at the end.
 */
export class Bulk {
  readonly params: unknown[] = [];
  private pending = 0;

  constructor(
    private readonly one: Statement,
    private readonly many: Statement,
    private readonly width: number,
    private readonly rows: number,
  ) {}

  added(): void {
    if (++this.pending < this.rows) return;
    this.many.run(...this.params);
    this.reset();
  }

  flush(): void {
    for (let at = 0; at < this.params.length; at += this.width) this.one.run(...this.params.slice(at, at + this.width));
    this.reset();
  }

  /** Forgets rows not yet written (after a failed commit). */
  reset(): void {
    this.params.length = 0;
    this.pending = 0;
  }
}

/** A `Bulk` for `INSERT ... VALUES <rows> <suffix>` (the suffix may be an `ON CONFLICT` clause). */
export function bulkInsert(db: Database.Database, head: string, width: number, rows: number, suffix = ""): Bulk {
  return new Bulk(
    db.prepare(`${head} VALUES ${placeholders(1, width)} ${suffix}`),
    db.prepare(`${head} VALUES ${placeholders(rows, width)} ${suffix}`),
    width,
    rows,
  );
}

/** A `Bulk` for `DELETE FROM table WHERE column IN (...)` with one parameter per row. */
export function bulkDelete(db: Database.Database, table: string, column: string, rows: number): Bulk {
  return new Bulk(
    db.prepare(`DELETE FROM ${table} WHERE ${column} = ?`),
    db.prepare(`DELETE FROM ${table} WHERE ${column} IN (${Array.from({ length: rows }, () => "?").join(", ")})`),
    1,
    rows,
  );
}
