import type { Migration } from "./migrations.js";

/**
 * The schema of dynamic loading (version 4) and cluster mode (version 5), numbered as in the
 * SQLite store (versions 2 and 3 are left to other changes).
 */
export const clusterMigrations: readonly Migration[] = [
  {
    version: 4,
    description: "the module registry, parked function types, messages by target type",
    async up(client) {
      await client.query(`
        CREATE TABLE registry (kind text NOT NULL, name text NOT NULL, body text NOT NULL, PRIMARY KEY (kind, name));
        INSERT INTO meta (key, value) VALUES ('registry_version', '0') ON CONFLICT (key) DO NOTHING;
        CREATE TABLE parked_types (function_type text PRIMARY KEY, since bigint NOT NULL);
        CREATE INDEX messages_target_type ON messages (target_namespace, target_type, seq) WHERE due_at IS NULL;
      `);
    },
  },
  {
    version: 5,
    description: "cluster mode: members, released leases, commit positions of messages, egress claims",
    async up(client) {
      // A message's position is the id of the transaction that committed it (see `since.ts`).
      await client.query(`
        CREATE TABLE members (owner text PRIMARY KEY, expires_at timestamptz NOT NULL);
        ALTER TABLE leases ALTER COLUMN owner DROP NOT NULL;
        ALTER TABLE messages ADD COLUMN tx xid8 NOT NULL DEFAULT pg_current_xact_id();
        CREATE INDEX messages_position ON messages (tx, seq) WHERE due_at IS NULL;
        ALTER TABLE egress ADD COLUMN claimed_by text, ADD COLUMN claimed_until timestamptz;
      `);
    },
  },
];
