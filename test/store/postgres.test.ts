import { StatefunError } from "@statefun-ts/protocol";
import { PostgresStore, storeFromUrl } from "@statefun-ts/store-postgres";
import { describe, expect, it } from "vitest";
import { adminQuery, dropSchema, testPostgresUrl, uniqueSchema } from "../setup/postgres-env.js";
import { storeConformance } from "./conformance.js";
import { batch, type MakeStore, message, range } from "./helpers.js";

// Each store gets a schema of its own on the test run's server, dropped by `cleanup`.
const makePostgresStore: MakeStore = async (options = {}) => {
  const url = testPostgresUrl();
  const schema = uniqueSchema();
  let current = new PostgresStore({ url, schema, keyGroups: options.keyGroups, maxConnections: 4 });
  return {
    store: current,
    async reopen(again = {}) {
      await current.close();
      current = new PostgresStore({ url, schema, keyGroups: again.keyGroups, maxConnections: 4 });
      return current;
    },
    async cleanup() {
      await current.close();
      await dropSchema(schema);
    },
  };
};

storeConformance("postgres", makePostgresStore);

describe("PostgresStore", () => {
  it("commits with synchronous_commit on (whatever the URL says) and keeps its tables in its own schema", async () => {
    const schema = uniqueSchema();
    const url = new URL(testPostgresUrl());
    url.searchParams.set("options", "-c synchronous_commit=off -c search_path=public");
    const store = new PostgresStore({ url: url.toString(), schema, keyGroups: 4 });
    try {
      await store.open();
      expect(await store.settings()).toEqual({ synchronousCommit: "on", searchPath: schema, planCacheMode: "force_generic_plan" });
      const fence = { owner: "w", epochs: await store.acquire("w", range(4)) };
      await store.commit(batch(fence, { messages: [message(1, 0)] }));
      const tables = await adminQuery("SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1", [
        store.schema,
      ]);
      expect(tables.rows.map((r) => r.table_name)).toEqual([
        "dead_letters",
        "deliverer_leases",
        "egress",
        "idempotency_keys",
        "leases",
        "members",
        "messages",
        "meta",
        "parked_types",
        "registry",
        "replies",
        "schema_migrations",
        "sequences",
        "source_positions",
        "state",
        "state_specs",
      ]);
      const sessions = await adminQuery(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'statefun-ts' AND datname = current_database()",
      );
      expect(sessions.rows[0].n).toBeGreaterThan(0);
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });

  it("rejects bad options, naming them, and calls when not open", async () => {
    const url = testPostgresUrl();
    expect(() => new PostgresStore({ url, keyGroups: 0 })).toThrow(/keyGroups/);
    expect(() => new PostgresStore({ url, schema: "Bad-Name" })).toThrow(/schema must be .*"Bad-Name"/);
    expect(() => new PostgresStore({ url, maxConnections: 0 })).toThrow(/maxConnections/);
    expect(() => new PostgresStore({} as { url: string })).toThrow(/needs a url .* got no url/);
    expect(() => new PostgresStore({ url: undefined as unknown as string })).toThrow(/got url undefined/);
    expect(() => new PostgresStore({ url: "" })).toThrow(/got url ""/);
    expect(() => storeFromUrl("mysql://x/y")).toThrow(/postgres:\/\//);
    expect(() => storeFromUrl("not a url")).toThrow(/not a URL/);
    const store = new PostgresStore({ url, schema: uniqueSchema() });
    await expect(store.stats()).rejects.toMatchObject({ code: "STATEFUN_CLOSED" });
  });

  it("says where it could not connect, without the password", async () => {
    const store = new PostgresStore({ url: "postgres://someone:secret@127.0.0.1:1/nowhere" });
    const error = await store.open().catch((e: unknown) => e);
    expect(StatefunError.is(error)).toBe(true);
    expect(error).toMatchObject({ code: "STATEFUN_BAD_CONFIG" });
    expect((error as Error).message).toContain("postgres://someone:***@127.0.0.1:1/nowhere");
    expect((error as Error).message).not.toContain("secret");
  });

  it("opens from a URL with ?schema=, keeping server settings given in ?options=", async () => {
    const schema = uniqueSchema();
    const url = new URL(testPostgresUrl());
    url.searchParams.set("schema", schema);
    url.searchParams.set("options", "-c statement_timeout=12345");
    const store = storeFromUrl(url.toString(), { keyGroups: 3 });
    try {
      expect(store.schema).toBe(schema);
      expect(await store.open()).toEqual({ keyGroups: 3, shared: true });
      // The store's own settings (its search_path) survive the URL's options: its tables are in its schema.
      const fence = { owner: "w", epochs: await store.acquire("w", [0]) };
      await store.commit(batch(fence, { messages: [message(1, 0)] }));
      const sessions = await adminQuery(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'statefun-ts' AND backend_type = 'client backend'`,
      );
      expect(sessions.rows[0].n).toBeGreaterThan(0);
      const tables = await adminQuery("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1", [schema]);
      expect(tables.rows[0].n).toBeGreaterThan(5);
      await store.close();
    } finally {
      await dropSchema(schema);
    }
  });
});

describe("PostgresStore migrations", () => {
  it("applies a step numbered below one already applied (version 2 on a schema at 1, 3, 4 and 5), once", async () => {
    const schema = uniqueSchema();
    const first = new PostgresStore({ url: testPostgresUrl(), schema, keyGroups: 2 });
    try {
      await first.open();
      await first.close();
      // The schema as the release before version 2 left it.
      await adminQuery(`ALTER TABLE ${schema}.idempotency_keys DROP COLUMN fingerprint`);
      await adminQuery(`DELETE FROM ${schema}.schema_migrations WHERE version = 2`);
      const again = new PostgresStore({ url: testPostgresUrl(), schema, keyGroups: 2 });
      await again.open();
      try {
        const fence = { owner: "w", epochs: await again.acquire("w", range(2)) };
        await again.commit(batch(fence, { ingress: [{ ...message(1, 0), requestId: "r", idempotencyKey: "k", fingerprint: "f" }] }));
        expect(await again.idempotencyFingerprint("k")).toBe("f");
        const versions = await adminQuery(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
        expect(versions.rows.map((r) => r.version)).toEqual([1, 2, 3, 4, 5, 6, 8]);
      } finally {
        await again.close();
      }
    } finally {
      await dropSchema(schema);
    }
  });
});
