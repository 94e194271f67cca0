import { MESSAGE_COLUMNS } from "@statefun-ts/runtime/spi";

/** A named statement: node-postgres prepares it once per connection, then only binds and executes. */
export interface Named {
  readonly name: string;
  readonly text: string;
}

/** Names each statement `statefun_<key>` (names are per connection: keep keys unique across files). */
export const named = <T extends Record<string, string>>(texts: T): { readonly [K in keyof T]: Named } =>
  Object.fromEntries(Object.entries(texts).map(([key, text]) => [key, { name: `statefun_${key}`, text }])) as {
    [K in keyof T]: Named;
  };

const DEAD_LETTER_COLUMNS = `id, ${MESSAGE_COLUMNS}, error, attempts, failed_at`;

/** Every statement the store runs with parameters. Array parameters are `unnest`ed: one statement per batch, whatever its size. */
export const SQL = named({
  // Commit (the commit itself is built by commitStatement).
  requestIdsOf: "SELECT key, request_id FROM idempotency_keys WHERE key = ANY($1::text[])",
  fingerprintOf: "SELECT fingerprint FROM idempotency_keys WHERE key = $1::text",

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
  // Through the partial index state_expiry, in expiry order: stops after `limit` rows of the key groups.
  expiredState: `SELECT namespace, type, id, name, key_group, expires_at FROM state
    WHERE expires_at IS NOT NULL AND expires_at <= $1::bigint AND key_group = ANY($2::int[]) ORDER BY expires_at LIMIT $3::int`,
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
