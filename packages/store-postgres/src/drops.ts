import { INSTANCE_ROW, type StateDrop } from "@statefun-ts/runtime/spi";
import { int8Array, textArray } from "./arrays.js";
import { type Named, named } from "./statements.js";

/**
 * One `DELETE` for many drops (see `StateDrop`): each array row is a drop, its `name` NULL for a
 * whole instance, its `expired_by` NULL for an unconditional one. The condition reads the row
 * itself (one row) or the instance row (a whole instance) in the statement's snapshot, so every
 * drop of the statement is checked against the state as it was before the statement.
 */
export const DROP_SQL = named({
  dropState: `DELETE FROM state s USING unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])
      AS d(namespace, type, id, name, expired_by)
    WHERE s.namespace = d.namespace AND s.type = d.type AND s.id = d.id AND (d.name IS NULL OR s.name = d.name)
      AND (d.expired_by IS NULL
        OR (d.name IS NOT NULL AND s.expires_at <= d.expired_by)
        OR (d.name IS NULL AND EXISTS (SELECT 1 FROM state i WHERE i.namespace = d.namespace AND i.type = d.type AND i.id = d.id
          AND i.name = '${INSTANCE_ROW}' AND i.expires_at <= d.expired_by)))`,
}).dropState;

/** A statement of `DROP_SQL` with its array parameters. */
export interface DropStatement extends Named {
  readonly values: unknown[];
}

const addressKey = (d: StateDrop) => `${d.address.namespace}\u0000${d.address.type}\u0000${d.address.id}`;

/**
 * The statements applying `drops` in order. Deletions commute, and a drop's condition reads only
 * the row it deletes or its instance's `INSTANCE_ROW`, which an earlier whole-instance drop only
 * deletes together with everything it would delete. So checking all drops on one snapshot gives
 * the result of applying them in order, except for a conditional whole-instance drop after a
 * one-row drop of that address's `INSTANCE_ROW` (once that row is gone, the instance no longer
 * counts as expired): such a drop starts a new statement.
 */
export function dropStatements(drops: readonly StateDrop[]): DropStatement[] {
  const chunks: StateDrop[][] = [];
  let chunk: StateDrop[] = [];
  let instanceRowsDropped = new Set<string>();
  for (const d of drops) {
    const key = addressKey(d);
    if (d.name === undefined && d.expiredBy !== undefined && instanceRowsDropped.has(key)) {
      chunks.push(chunk);
      chunk = [];
      instanceRowsDropped = new Set();
    }
    chunk.push(d);
    if (d.name === INSTANCE_ROW) instanceRowsDropped.add(key);
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks.map((list) => ({
    ...DROP_SQL,
    values: [
      textArray(list.map((d) => d.address.namespace)),
      textArray(list.map((d) => d.address.type)),
      textArray(list.map((d) => d.address.id)),
      textArray(list.map((d) => d.name)),
      int8Array(list.map((d) => d.expiredBy)),
    ],
  }));
}
