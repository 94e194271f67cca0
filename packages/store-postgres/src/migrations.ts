import { StatefunError } from "@statefun-ts/protocol";
import type { PoolClient } from "pg";
import { delivererLeasesMigration } from "./deliverer-leases.js";
import { egressDeliveryMigration } from "./egress-delivery.js";
import { clusterMigrations } from "./migrations-cluster.js";
import { sourcePositionsMigration } from "./source-positions.js";

/** One step of the schema, applied once, in `version` order, recorded in the `schema_migrations` table. */
export interface Migration {
  readonly version: number;
  readonly description: string;
  up(client: PoolClient): Promise<void>;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    description: "messages, state, egress, replies, idempotency keys, dead letters, leases, state specs, sequences, the fence check",
    async up(client) {
      await client.query(`
        CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);

        CREATE TABLE messages (
          seq bigint PRIMARY KEY,
          key_group int NOT NULL,
          target_namespace text NOT NULL,
          target_type text NOT NULL,
          target_id text NOT NULL,
          caller_namespace text,
          caller_type text,
          caller_id text,
          typename text NOT NULL,
          value bytea NOT NULL,
          due_at bigint,
          cancellation_token text
        );
        CREATE INDEX messages_delayed ON messages (due_at, seq) WHERE due_at IS NOT NULL;
        CREATE INDEX messages_cancellation ON messages (cancellation_token) WHERE cancellation_token IS NOT NULL;

        CREATE TABLE state (
          namespace text NOT NULL,
          type text NOT NULL,
          id text NOT NULL,
          name text NOT NULL,
          key_group int NOT NULL,
          typename text NOT NULL,
          value bytea NOT NULL,
          expires_at bigint,
          PRIMARY KEY (namespace, type, id, name)
        ) WITH (fillfactor = 60);
        CREATE INDEX state_expiry ON state (expires_at) WHERE expires_at IS NOT NULL;

        CREATE TABLE egress (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          egress text NOT NULL,
          topic text NOT NULL,
          typename text NOT NULL,
          value bytea NOT NULL,
          created_at bigint NOT NULL
        );
        CREATE INDEX egress_topic ON egress (topic, id);

        CREATE TABLE replies (
          request_id text PRIMARY KEY,
          typename text NOT NULL,
          value bytea NOT NULL,
          created_at bigint NOT NULL
        );
        CREATE INDEX replies_created ON replies (created_at);

        CREATE TABLE idempotency_keys (
          key text PRIMARY KEY,
          request_id text NOT NULL,
          created_at bigint NOT NULL
        );
        CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

        CREATE TABLE dead_letters (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          seq bigint NOT NULL,
          key_group int NOT NULL,
          target_namespace text NOT NULL,
          target_type text NOT NULL,
          target_id text NOT NULL,
          caller_namespace text,
          caller_type text,
          caller_id text,
          typename text NOT NULL,
          value bytea NOT NULL,
          due_at bigint,
          cancellation_token text,
          error text NOT NULL,
          attempts int NOT NULL,
          failed_at bigint NOT NULL
        );

        CREATE TABLE leases (
          key_group int PRIMARY KEY,
          owner text NOT NULL,
          epoch bigint NOT NULL
        );

        CREATE TABLE state_specs (
          function_type text NOT NULL,
          name text NOT NULL,
          typename text NOT NULL,
          expire_mode text NOT NULL,
          expire_millis bigint NOT NULL,
          PRIMARY KEY (function_type, name)
        );

        CREATE TABLE sequences (name text PRIMARY KEY, next bigint NOT NULL);
        INSERT INTO sequences (name, next) VALUES ('messages', 1);

        -- Called by a commit for each key group its fence does not hold: aborts the whole commit.
        CREATE FUNCTION statefun_fenced(key_group int, holder text, epoch bigint, expected bigint, committer text) RETURNS int
        LANGUAGE plpgsql VOLATILE AS $fn$
        BEGIN
          RAISE EXCEPTION USING ERRCODE = 'SF001', MESSAGE = format('commit fenced: key group %s is held by %s, not by %s at epoch %s',
            key_group, CASE WHEN holder IS NULL THEN 'no one' ELSE holder || ' at epoch ' || epoch END, committer,
            coalesce(expected::text, 'undefined'));
        END
        $fn$;
      `);
    },
  },
  {
    version: 2,
    description: "what each idempotency key stood for (a hash of target, type and body), to refuse its reuse for another request",
    async up(client) {
      await client.query("ALTER TABLE idempotency_keys ADD COLUMN fingerprint text");
    },
  },
  sourcePositionsMigration,
  ...clusterMigrations,
  egressDeliveryMigration,
  delivererLeasesMigration,
];

/**
 * Creates the schema if needed and applies the migrations it has not seen yet, all in one
 * transaction under an advisory lock of the schema's name, so workers opening the same database
 * at once migrate it once. `client` has the schema first on its `search_path`.
 */
export async function migrate(client: PoolClient, schema: string, steps: readonly Migration[] = migrations): Promise<void> {
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('statefun-ts migrate ' || $1::text))", [schema]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    // Versions are applied by set, not by maximum: a step numbered below one already applied
    // (numbers are assigned to changes developed side by side) still runs once.
    const { rows } = await client.query<{ version: number }>("SELECT version FROM schema_migrations");
    const applied = new Set(rows.map((r) => r.version));
    const known = new Set(steps.map((s) => s.version));
    const unknown = [...applied].filter((v) => !known.has(v));
    if (unknown.length > 0) {
      const latest = Math.max(0, ...known);
      throw new StatefunError(
        "STATEFUN_BAD_CONFIG",
        `the PostgreSQL schema ${schema} has schema version ${Math.max(...unknown)}, newer than this store knows (${latest}); upgrade Statefun TS`,
      );
    }
    for (const step of steps) {
      if (applied.has(step.version)) continue;
      await step.up(client);
      await client.query("INSERT INTO schema_migrations (version, description) VALUES ($1, $2)", [step.version, step.description]);
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}

/** Records `keyGroups` when the store is new; afterwards the stored value wins. */
export async function keyGroupsOf(client: PoolClient, requested: number): Promise<number> {
  await client.query("INSERT INTO meta (key, value) VALUES ('key_groups', $1) ON CONFLICT (key) DO NOTHING", [String(requested)]);
  const { rows } = await client.query<{ value: string }>("SELECT value FROM meta WHERE key = 'key_groups'");
  return Number(rows[0]!.value);
}
