import type pg from "pg";
import { int8Array, textArray } from "./arrays.js";

/**
 * The ingress source positions of a snapshot (table `source_positions`, migration 3): kept apart
 * from the other tables so a change of that table touches this file only.
 */
export interface SourcePositionRow {
  readonly source: string;
  readonly partition: string;
  readonly position: number;
}

/** Every row in byte order of `(source, partition)`, as SQLite orders them (for a cursor). */
export const SOURCE_POSITIONS_IN_ORDER =
  'SELECT source, partition, position FROM source_positions ORDER BY source COLLATE "C", partition COLLATE "C"';

export function toSourcePosition(row: readonly unknown[]): SourcePositionRow {
  return { source: row[0] as string, partition: row[1] as string, position: row[2] as number };
}

/** Writes rows, over the stored positions of the same `(source, partition)` (a merge). */
export async function insertSourcePositions(client: pg.PoolClient, rows: readonly SourcePositionRow[]): Promise<void> {
  await client.query(
    `INSERT INTO source_positions (source, partition, position)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
     ON CONFLICT (source, partition) DO UPDATE SET position = excluded.position`,
    [textArray(rows.map((r) => r.source)), textArray(rows.map((r) => r.partition)), int8Array(rows.map((r) => r.position))],
  );
}

export const COUNT_SOURCE_POSITIONS = "(SELECT count(*) FROM source_positions)";
