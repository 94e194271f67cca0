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
 * Usage: `put` one row's `width` parameters, call `added()`; `flush()` at the end. The
 * parameters go into one array of a chunk's size, filled in place and bound as it is: no array
 * grows, shrinks or is spread per chunk (this runs for every message of a commit).
 */
export class Bulk {
  private readonly params: unknown[];
  /** Parameters put since the last chunk was written. */
  private at = 0;

  constructor(
    private readonly one: Statement,
    private readonly many: Statement,
    private readonly width: number,
    rows: number,
  ) {
    this.params = new Array<unknown>(width * rows).fill(null);
  }

  /** One parameter of the row being added. */
  put(value: unknown): void {
    this.params[this.at++] = value;
  }

  added(): void {
    if (this.at < this.params.length) return;
    this.many.run(this.params);
    this.at = 0;
  }

  flush(): void {
    for (let at = 0; at < this.at; at += this.width) this.one.run(this.params.slice(at, at + this.width));
    this.at = 0;
  }

  /** Forgets rows not yet written (after a failed commit). */
  reset(): void {
    this.at = 0;
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
