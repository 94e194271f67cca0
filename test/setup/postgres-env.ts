import pg from "pg";
import { inject } from "vitest";

/**
 * The URL of the test run's PostgreSQL server (started by test/setup/postgres.ts). Throws, failing
 * the test, when there is none: the PostgreSQL suites never skip.
 */
export function testPostgresUrl(): string {
  const url = inject("postgresUrl");
  if (url) return url;
  const why = inject("postgresError") || "test/setup/postgres.ts did not run (is it in vitest.config.ts test.globalSetup?)";
  throw new Error(`no PostgreSQL server for the tests: ${why}. Install it with: bash scripts/postgres/setup.sh`);
}

let counter = 0;

/** A schema name no other test (or test process) uses. */
export function uniqueSchema(prefix = "t"): string {
  counter += 1;
  return `${prefix}_${process.pid}_${counter}_${Math.random().toString(36).slice(2, 8)}`;
}

/** Runs `sql` on a connection of its own to `url` (default: the test server). */
export async function adminQuery(sql: string, values: unknown[] = [], url = testPostgresUrl()): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql, values);
  } finally {
    await client.end();
  }
}

/** Drops a schema made by a test, with everything in it. */
export async function dropSchema(schema: string, url = testPostgresUrl()): Promise<void> {
  await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`, [], url);
}
