import type Database from "better-sqlite3";

/**
 * The ingress source positions of a snapshot (table `source_positions`, migration 7): kept apart
 * from the other tables so a change of that table touches this file only.
 */
export interface SourcePositionRow {
  readonly source: string;
  readonly partition: string;
  readonly position: number;
}

export interface SourcePositionStatements {
  /** Rows after `(source, partition)` in byte order, at most `limit`. */
  page(after: readonly [string, string], limit: number): SourcePositionRow[];
  /** Writes a row, over the stored position of the same `(source, partition)` (a merge). */
  insert(row: SourcePositionRow): void;
  count(): number;
}

export function sourcePositionStatements(db: Database.Database): SourcePositionStatements {
  const page = db
    .prepare<[string, string, number], [string, string, number]>(
      "SELECT source, partition, position FROM source_positions WHERE (source, partition) > (?, ?) ORDER BY source, partition LIMIT ?",
    )
    .raw(true);
  const insert = db.prepare(
    `INSERT INTO source_positions (source, partition, position) VALUES (?, ?, ?)
     ON CONFLICT (source, partition) DO UPDATE SET position = excluded.position`,
  );
  const count = db.prepare("SELECT count(*) FROM source_positions").pluck();
  return {
    page(after, limit) {
      return (page.all(after[0], after[1], limit) as unknown as [string, string, number][]).map(([source, partition, position]) => ({
        source,
        partition,
        position,
      }));
    },
    insert(row) {
      insert.run(row.source, row.partition, row.position);
    },
    count: () => count.get() as number,
  };
}

/** Every row in pages of `pageSize` (inside the snapshot's read transaction). */
export function* readSourcePositions(db: Database.Database, pageSize: number): Generator<SourcePositionRow> {
  const statements = sourcePositionStatements(db);
  let after: readonly [string, string] = ["", ""];
  for (;;) {
    const rows = statements.page(after, pageSize);
    yield* rows;
    if (rows.length < pageSize) return;
    const last = rows.at(-1)!;
    after = [last.source, last.partition];
  }
}
