/**
 * Two workers on one PostgreSQL schema, and a commit that takes its egress row id before the other
 * worker's commit but becomes visible after it: a trigger holds any commit writing a value that
 * holds "late" inside its transaction, its row id taken, until the test frees an advisory lock.
 * Shared by the store's own suite (test/store/postgres-egress-order) and the Kafka egress's
 * (test/kafka/cluster-egress-order).
 */
import type { Fence } from "@statefun-ts/runtime/spi";
import { PostgresStore } from "@statefun-ts/store-postgres";
import pg from "pg";
import { dropSchema, testPostgresUrl, uniqueSchema } from "../setup/postgres-env.js";
import { range } from "./helpers.js";

export interface TwoWorkers {
  readonly schema: string;
  /** Worker `i` holds key groups `i` and `i + 2` of four. */
  readonly workers: PostgresStore[];
  readonly fences: Fence[];
  /** A connection of the test's own, its search path on the schema. */
  readonly raw: pg.Client;
  /** Closes the connection and the workers, and drops the schema. */
  close(): Promise<void>;
}

/** Two opened PostgreSQL stores on a new schema (named after `prefix`), each with its own key groups. */
export async function twoWorkers(options: { prefix: string; maxConnections: number }): Promise<TwoWorkers> {
  const schema = uniqueSchema(options.prefix);
  const workers = range(2).map(
    () =>
      new PostgresStore({
        pool: { connectionString: testPostgresUrl() },
        schema,
        keyGroups: 4,
        maxConnections: options.maxConnections,
      }),
  );
  for (const w of workers) await w.open();
  const fences = await Promise.all(
    workers.map(async (w, i) => ({ owner: `worker-${i}`, epochs: await w.acquire(`worker-${i}`, [i, i + 2]) })),
  );
  const raw = new pg.Client({ connectionString: testPostgresUrl() });
  await raw.connect();
  await raw.query(`SET search_path = ${schema}`);
  return {
    schema,
    workers,
    fences,
    raw,
    async close() {
      await raw.end();
      await Promise.all(workers.map((w) => w.close()));
      await dropSchema(schema);
    },
  };
}

/** From now on a commit writing an egress value that holds "late" waits in its transaction, its row id taken, while `lock` is held. */
export async function holdLateCommits(raw: pg.Client, lock: number): Promise<void> {
  await raw.query(`
    CREATE FUNCTION hold_late() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      IF position('late'::bytea IN NEW.value) > 0 THEN
        PERFORM pg_advisory_lock_shared(${lock});
        PERFORM pg_advisory_unlock_shared(${lock});
      END IF;
      RETURN NEW;
    END
    $fn$;
    CREATE TRIGGER hold_late BEFORE INSERT ON egress FOR EACH ROW EXECUTE FUNCTION hold_late();
  `);
}

/** Resolves once a session waits for an advisory lock: the late commit is inside the trigger, its row id taken. */
export async function untilLateCommitWaits(raw: pg.Client): Promise<void> {
  for (;;) {
    const { rows } = await raw.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted");
    if (rows[0].n > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
