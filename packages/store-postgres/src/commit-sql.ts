import type { CommitBatch, IngressMessage, StoredMessage } from "@statefun-ts/runtime/spi";
import { MESSAGE_COLUMNS } from "@statefun-ts/runtime/spi";
import { byteaArray, int4Array, int8Array, textArray } from "./arrays.js";
import { messageArrays, messageColumns } from "./message-arrays.js";
import { changePayload } from "./notify.js";
import { collapseState, lastReplies } from "./writes.js";

/** The SQLSTATE `statefun_fenced()` raises (see the migrations). */
export const FENCED_SQLSTATE = "SF001";

/** One statement for a whole batch: its parts as data-modifying CTEs, named by which parts it has. */
export interface CommitStatement {
  readonly name: string;
  readonly text: string;
  readonly values: unknown[];
  /** The idempotency keys recorded by this commit, each with its request id (the first in the batch). */
  readonly keys: ReadonlyMap<string, string>;
}

const STATE_COLUMNS = "namespace, type, id, name";
const STATE_MATCH = "s.namespace = b.namespace AND s.type = b.type AND s.id = b.id AND s.name = b.name";

/**
 * Builds the commit of `batch` as one statement, so a commit is one round trip and one
 * transaction. PostgreSQL runs the main query first: it reads the leases `FOR SHARE` and calls
 * `statefun_fenced()` (which raises, aborting every part) for each touched key group not held by
 * the fence. The other parts run to completion after it, all seeing the snapshot from before the
 * statement, which gives `CommitBatch`'s order: a deleted message is one committed before, and
 * an ingress message this batch also consumes or cancels is simply never inserted.
 *
 * `admitted` are the ingress messages left after dropping those whose key an earlier one of the
 * batch has; among them, a message whose key is already known is dropped by the statement.
 * A commit inserting messages or replies announces them on `channel` (`NOTIFY`, sent by
 * PostgreSQL only once the transaction committed).
 */
export function commitStatement(batch: CommitBatch, admitted: readonly IngressMessage[], channel: string): CommitStatement {
  const values: unknown[] = [];
  const p = (value: unknown, type: string) => {
    values.push(value);
    return `$${values.length}::${type}`;
  };
  const ctes: string[] = [];
  const shape: string[] = [];

  // 1. The fence.
  const touched = [...batch.touchedKeyGroups];
  if (touched.length > 0) {
    shape.push("f");
    const { owner, epochs } = batch.fence;
    const kgs = p(int4Array(touched), "int[]");
    const o = p(owner, "text");
    ctes.push(
      `fence AS MATERIALIZED (SELECT key_group, owner, epoch FROM leases WHERE key_group = ANY(${kgs}) ORDER BY key_group FOR SHARE)`,
      `fenced AS (SELECT t.key_group, f.owner, f.epoch, t.epoch AS expected, ${o} AS committer FROM unnest(${kgs}, ${p(
        int8Array(touched.map((kg) => epochs.get(kg))),
        "bigint[]",
      )}) AS t(key_group, epoch)
        LEFT JOIN fence f ON f.key_group = t.key_group
        WHERE f.owner IS DISTINCT FROM ${o} OR f.epoch IS DISTINCT FROM t.epoch)`,
    );
  }

  // 2. Idempotency keys: recorded unless known; a known one makes its message a duplicate.
  const keys = new Map<string, string>();
  const fingerprints: (string | undefined)[] = [];
  for (const m of admitted) {
    if (m.idempotencyKey === undefined) continue;
    keys.set(m.idempotencyKey, m.requestId);
    fingerprints.push(m.fingerprint);
  }
  if (keys.size > 0) {
    shape.push("k");
    const k = p(textArray([...keys.keys()]), "text[]");
    ctes.push(
      `keys AS (INSERT INTO idempotency_keys (key, request_id, created_at, fingerprint)
        SELECT key, request_id, ${p(batch.now, "bigint")}, fingerprint
        FROM unnest(${k}, ${p(textArray([...keys.values()]), "text[]")}, ${p(textArray(fingerprints), "text[]")}) AS t(key, request_id, fingerprint)
        ON CONFLICT (key) DO NOTHING RETURNING key)`,
      `dups AS (SELECT i.key, i.request_id FROM idempotency_keys i WHERE i.key = ANY(${k}) AND NOT EXISTS (SELECT 1 FROM keys WHERE keys.key = i.key))`,
    );
  }

  // 3. Consumed messages and cancelled delayed messages, committed before this batch.
  const gone: string[] = [];
  if (batch.consumed.length > 0) gone.push(`seq = ANY(${p(int8Array(batch.consumed), "bigint[]")})`);
  if (batch.cancelTokens.length > 0) {
    gone.push(`(cancellation_token = ANY(${p(textArray(batch.cancelTokens), "text[]")}) AND due_at IS NOT NULL)`);
  }
  if (gone.length > 0) {
    shape.push(`d${gone.length === 2 ? "ct" : batch.consumed.length > 0 ? "c" : "t"}`);
    // With cancellations, each deleted row tells whether a token deleted it (not consumed), for `CommitResult.cancelled`.
    const returning = batch.cancelTokens.length === 0 ? "" : ` RETURNING ${gone.length === 2 ? `NOT (${gone[0]})` : "true"} AS cancelled`;
    ctes.push(`gone AS (DELETE FROM messages WHERE ${gone.join(" OR ")}${returning})`);
  }

  // 4. New messages: admitted ingress (not consumed nor cancelled by this batch) and sent messages.
  const consumed = new Set(batch.consumed);
  const cancelled = new Set(batch.cancelTokens);
  const inserts: StoredMessage[] = [];
  const insertKeys: (string | undefined)[] = [];
  for (const m of admitted) {
    if (consumed.has(m.seq)) continue;
    if (m.dueAt !== undefined && m.cancellationToken !== undefined && cancelled.has(m.cancellationToken)) continue;
    inserts.push(m);
    insertKeys.push(m.idempotencyKey);
  }
  for (const m of batch.messages) inserts.push(m);
  if (inserts.length > 0) {
    shape.push("m");
    const first = values.length + 1;
    values.push(...messageColumns(inserts));
    let source = `SELECT * FROM unnest(${messageArrays(first)})`;
    if (keys.size > 0) {
      source = `SELECT ${MESSAGE_COLUMNS} FROM unnest(${messageArrays(first)}, ${p(textArray(insertKeys), "text[]")}) AS m(${MESSAGE_COLUMNS}, key)
        WHERE m.key IS NULL OR m.key IN (SELECT key FROM keys)`;
    }
    ctes.push(`sent AS (INSERT INTO messages (${MESSAGE_COLUMNS}) ${source})`);
  }

  // 5. State (the last write of each value wins), egress, replies, dead letters, replays.
  const state = collapseState(batch.state);
  if (state.deletes.length > 0) {
    shape.push("sd");
    const [ns, type, id, name] = state.deletes.map((column) => p(column, "text[]"));
    ctes.push(`unset AS (DELETE FROM state s USING unnest(${ns}, ${type}, ${id}, ${name}) AS b(${STATE_COLUMNS}) WHERE ${STATE_MATCH})`);
  }
  if (state.upserts.length > 0) {
    shape.push("su");
    const types = ["text[]", "text[]", "text[]", "text[]", "int[]", "text[]", "bytea[]", "bigint[]"];
    const columns = state.upserts.map((column, i) => p(column, types[i]!));
    // An UPDATE of the values that exist and an INSERT of the others (both see the table as it was
    // before the statement): less than half the time of INSERT ... ON CONFLICT DO UPDATE, whose
    // speculative insertion writes two WAL records a row. The INSERT takes the rows the UPDATE did
    // not return, by their position in the batch (a hash of integers: matching the text keys
    // against the table a second time cost a third of a chain commit). Only the owner of a key
    // group writes its state, so no other transaction inserts these rows meanwhile (if one did, the
    // commit would fail on the primary key, not lose a write).
    ctes.push(
      `written AS (SELECT * FROM unnest(${columns.join(", ")}) WITH ORDINALITY AS b(${STATE_COLUMNS}, key_group, typename, value, expires_at, n))`,
      `updated AS (UPDATE state s SET key_group = b.key_group, typename = b.typename, value = b.value, expires_at = b.expires_at
        FROM written b WHERE ${STATE_MATCH} RETURNING b.n)`,
      `inserted AS (INSERT INTO state (${STATE_COLUMNS}, key_group, typename, value, expires_at)
        SELECT ${STATE_COLUMNS}, key_group, typename, value, expires_at FROM written b WHERE NOT EXISTS (SELECT 1 FROM updated u WHERE u.n = b.n))`,
    );
  }
  if (batch.egress.length > 0) {
    shape.push("e");
    const e = batch.egress;
    ctes.push(`egressed AS (INSERT INTO egress (egress, topic, typename, value, created_at)
      SELECT egress, topic, typename, value, created_at FROM unnest(${p(textArray(e.map((r) => r.egress)), "text[]")},
        ${p(textArray(e.map((r) => r.topic)), "text[]")}, ${p(textArray(e.map((r) => r.argument.typename)), "text[]")},
        ${p(byteaArray(e.map((r) => r.argument.value)), "bytea[]")}, ${p(int8Array(e.map((r) => r.createdAt)), "bigint[]")})
        WITH ORDINALITY AS e(egress, topic, typename, value, created_at, n)
      ORDER BY n)`);
  }
  if (batch.replies.length > 0) {
    shape.push("r");
    const r = lastReplies(batch.replies);
    ctes.push(`replied AS (INSERT INTO replies (request_id, typename, value, created_at)
      SELECT request_id, typename, value, ${p(batch.now, "bigint")} FROM unnest(${p(textArray(r.map((x) => x.requestId)), "text[]")},
        ${p(textArray(r.map((x) => x.argument.typename)), "text[]")}, ${p(byteaArray(r.map((x) => x.argument.value)), "bytea[]")})
        AS r(request_id, typename, value)
      ON CONFLICT (request_id) DO UPDATE SET typename = excluded.typename, value = excluded.value, created_at = excluded.created_at)`);
  }
  if (batch.deadLetters.length > 0) {
    shape.push("x");
    const d = batch.deadLetters;
    const first = values.length + 1;
    values.push(...messageColumns(d.map((x) => x.message)));
    ctes.push(`dead AS (INSERT INTO dead_letters (${MESSAGE_COLUMNS}, error, attempts, failed_at)
      SELECT ${MESSAGE_COLUMNS}, error, attempts, failed_at FROM unnest(${messageArrays(first)},
        ${p(textArray(d.map((x) => x.error)), "text[]")}, ${p(int4Array(d.map((x) => x.attempts)), "int[]")},
        ${p(int8Array(d.map((x) => x.failedAt)), "bigint[]")})
        WITH ORDINALITY AS d(${MESSAGE_COLUMNS}, error, attempts, failed_at, n)
      ORDER BY n)`);
  }
  if (batch.replayed.length > 0) {
    shape.push("y");
    ctes.push(`replayed AS (DELETE FROM dead_letters WHERE id = ANY(${p(int8Array(batch.replayed), "bigint[]")}))`);
  }

  // The main query: the fence check (always evaluated, as the outer side), then the duplicates.
  const check =
    touched.length > 0 ? "SELECT count(statefun_fenced(key_group, owner, epoch, expected, committer)) AS n FROM fenced" : "SELECT 0 AS n";
  // Known keys with their first request id, then the keys this commit recorded (request id NULL).
  const duplicates =
    keys.size > 0
      ? "(SELECT key, request_id FROM dups UNION ALL SELECT key, NULL FROM keys)"
      : "(SELECT NULL::text AS key, NULL::text AS request_id WHERE false)";
  const payload = changePayload(batch, inserts);
  let notify = "";
  if (payload !== undefined) {
    shape.push("n");
    notify = ` CROSS JOIN (SELECT count(pg_notify(${p(channel, "text")}, ${p(payload, "text")})) AS z) AS nt`;
  }
  const cancelCount =
    batch.cancelTokens.length === 0 ? "" : " CROSS JOIN (SELECT count(*) FILTER (WHERE cancelled)::int AS cancelled FROM gone) AS cx";
  const main = `SELECT c.n, d.key, d.request_id${cancelCount === "" ? "" : ", cx.cancelled"} FROM (${check}) AS c${notify}${cancelCount} LEFT JOIN ${duplicates} AS d ON true`;
  const text = ctes.length > 0 ? `WITH ${ctes.join(",\n")}\n${main}` : main;
  return { name: `statefun_commit_${shape.join("_") || "empty"}`, text, values, keys };
}
