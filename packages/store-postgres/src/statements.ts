import { MESSAGE_COLUMNS, messageArrays } from "./rows.js";

/** A named statement: node-postgres prepares it once per connection, then only binds and executes. */
export interface Named {
  readonly name: string;
  readonly text: string;
}

const named = <T extends Record<string, string>>(texts: T): { readonly [K in keyof T]: Named } =>
  Object.fromEntries(Object.entries(texts).map(([key, text]) => [key, { name: `statefun_${key}`, text }])) as {
    [K in keyof T]: Named;
  };

const DEAD_LETTER_COLUMNS = `id, ${MESSAGE_COLUMNS}, error, attempts, failed_at`;

/** Every statement the store runs with parameters. Array parameters are `unnest`ed: one statement per batch, whatever its size. */
export const SQL = named({
  // Commit.
  lockLeases: "SELECT key_group, owner, epoch FROM leases WHERE key_group = ANY($1::int[]) ORDER BY key_group FOR SHARE",
  insertIdempotencyKeys: `INSERT INTO idempotency_keys (key, request_id, created_at)
    SELECT key, request_id, $3::bigint FROM unnest($1::text[], $2::text[]) AS k(key, request_id)
    ON CONFLICT (key) DO NOTHING RETURNING key`,
  requestIdsOf: "SELECT key, request_id FROM idempotency_keys WHERE key = ANY($1::text[])",
  deleteMessages: "DELETE FROM messages WHERE seq = ANY($1::bigint[])",
  cancelDelayed: "DELETE FROM messages WHERE cancellation_token = ANY($1::text[]) AND due_at IS NOT NULL",
  insertMessages: `INSERT INTO messages (${MESSAGE_COLUMNS}) SELECT * FROM unnest(${messageArrays()})`,
  deleteStates: `DELETE FROM state s USING unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS d(namespace, type, id, name)
    WHERE s.namespace = d.namespace AND s.type = d.type AND s.id = d.id AND s.name = d.name`,
  // An UPDATE joined with the batch, then an INSERT of the rows it did not find: on a batch of
  // 5,000 existing values, less than half the time of INSERT ... ON CONFLICT DO UPDATE (whose
  // speculative insertion writes two WAL records per row). The INSERT keeps ON CONFLICT for a row
  // inserted meanwhile by another transaction.
  upsertStates: `WITH batch AS (
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::bytea[], $8::bigint[])
        AS b(namespace, type, id, name, key_group, typename, value, expires_at)
    ), updated AS (
      UPDATE state s SET key_group = b.key_group, typename = b.typename, value = b.value, expires_at = b.expires_at
      FROM batch b WHERE s.namespace = b.namespace AND s.type = b.type AND s.id = b.id AND s.name = b.name
      RETURNING s.namespace, s.type, s.id, s.name
    )
    INSERT INTO state (namespace, type, id, name, key_group, typename, value, expires_at)
    SELECT * FROM batch b WHERE NOT EXISTS (
      SELECT 1 FROM updated u WHERE u.namespace = b.namespace AND u.type = b.type AND u.id = b.id AND u.name = b.name)
    ON CONFLICT (namespace, type, id, name) DO UPDATE SET
      key_group = excluded.key_group, typename = excluded.typename, value = excluded.value, expires_at = excluded.expires_at`,
  insertEgress: `INSERT INTO egress (egress, topic, typename, value, created_at)
    SELECT egress, topic, typename, value, created_at
    FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::bigint[]) WITH ORDINALITY AS e(egress, topic, typename, value, created_at, n)
    ORDER BY n`,
  upsertReplies: `INSERT INTO replies (request_id, typename, value, created_at)
    SELECT request_id, typename, value, $4::bigint FROM unnest($1::text[], $2::text[], $3::bytea[]) AS r(request_id, typename, value)
    ON CONFLICT (request_id) DO UPDATE SET typename = excluded.typename, value = excluded.value, created_at = excluded.created_at`,
  insertDeadLetters: `INSERT INTO dead_letters (${MESSAGE_COLUMNS}, error, attempts, failed_at)
    SELECT ${MESSAGE_COLUMNS}, error, attempts, failed_at
    FROM unnest(${messageArrays()}, $13::text[], $14::int[], $15::bigint[])
      WITH ORDINALITY AS d(${MESSAGE_COLUMNS}, error, attempts, failed_at, n)
    ORDER BY n`,
  deleteDeadLetters: "DELETE FROM dead_letters WHERE id = ANY($1::bigint[])",

  // Leases and sequences.
  acquireLeases: `INSERT INTO leases (key_group, owner, epoch) SELECT kg, $2::text, 1 FROM unnest($1::int[]) AS kg
    ON CONFLICT (key_group) DO UPDATE SET owner = excluded.owner, epoch = leases.epoch + 1
    RETURNING key_group, epoch`,
  allocateSeqs: "UPDATE sequences SET next = next + $1::bigint WHERE name = 'messages' RETURNING next - $1::bigint",
  raiseSeqs: `UPDATE sequences SET next = greatest(next,
      coalesce((SELECT max(seq) FROM messages), 0) + 1, coalesce((SELECT max(seq) FROM dead_letters), 0) + 1)
    WHERE name = 'messages'`,

  // Reads.
  messagesAfter: `SELECT ${MESSAGE_COLUMNS} FROM messages
    WHERE seq > $1::bigint AND due_at IS NULL AND key_group = ANY($2::int[]) ORDER BY seq LIMIT $3::int`,
  timersAfter: `SELECT ${MESSAGE_COLUMNS} FROM messages
    WHERE due_at IS NOT NULL AND (due_at, seq) > ($1::bigint, $2::bigint) AND due_at <= $3::bigint AND key_group = ANY($4::int[])
    ORDER BY due_at, seq LIMIT $5::int`,
  stateOf: "SELECT name, typename, value, expires_at FROM state WHERE namespace = $1 AND type = $2 AND id = $3 ORDER BY name",
  replyOf: "SELECT request_id, typename, value FROM replies WHERE request_id = $1",
  egressOfTopic: `SELECT id, egress, topic, typename, value, created_at FROM egress
    WHERE topic = $1 AND id <> ALL($2::bigint[]) ORDER BY id LIMIT $3::int`,
  deleteEgress: "DELETE FROM egress WHERE id = ANY($1::bigint[])",
  deadLettersAfter: `SELECT ${DEAD_LETTER_COLUMNS} FROM dead_letters WHERE id > $1::bigint ORDER BY id LIMIT $2::int`,
  deadLetterOf: `SELECT ${DEAD_LETTER_COLUMNS} FROM dead_letters WHERE id = $1::bigint`,
  purgeReplies: `DELETE FROM replies WHERE request_id IN
    (SELECT request_id FROM replies WHERE created_at < $1::bigint ORDER BY created_at LIMIT $2::int)`,
  purgeIdempotencyKeys: `DELETE FROM idempotency_keys WHERE key IN
    (SELECT key FROM idempotency_keys WHERE created_at < $1::bigint ORDER BY created_at LIMIT $2::int)`,
  stats: `SELECT (SELECT count(*) FROM messages WHERE due_at IS NULL), (SELECT count(*) FROM messages WHERE due_at IS NOT NULL),
    (SELECT count(*) FROM egress), (SELECT count(*) FROM dead_letters)`,
  stateSpecs: "SELECT function_type, name, typename, expire_mode, expire_millis FROM state_specs",
  upsertStateSpecs: `INSERT INTO state_specs (function_type, name, typename, expire_mode, expire_millis)
    SELECT $1::text, name, typename, expire_mode, expire_millis FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[])
      AS s(name, typename, expire_mode, expire_millis)
    ON CONFLICT (function_type, name) DO UPDATE SET
      typename = excluded.typename, expire_mode = excluded.expire_mode, expire_millis = excluded.expire_millis`,
});
