import { StatefunError } from "@statefun-ts/protocol";
import type { Store } from "@statefun-ts/runtime";
import { SqliteStore, ThreadedSqliteStore } from "@statefun-ts/store-sqlite";

/** The environment variable that chooses where the embedded store does its SQLite work. */
export const SQLITE_THREAD_ENV = "STATEFUN_SQLITE_THREAD";

/**
 * The embedded store of a server given no store: SQLite in `dir`, its work on a worker thread of
 * its own (`ThreadedSqliteStore`), or on the engine's thread with `STATEFUN_SQLITE_THREAD=0`
 * (`SqliteStore`).
 */
export function embeddedStore(dir: string, env: NodeJS.ProcessEnv = process.env): Store {
  const thread = env[SQLITE_THREAD_ENV];
  if (thread === undefined || thread === "" || thread === "1") return new ThreadedSqliteStore({ dir });
  if (thread === "0") return new SqliteStore({ dir });
  throw new StatefunError("STATEFUN_BAD_CONFIG", `${SQLITE_THREAD_ENV} must be 0 or 1, got ${JSON.stringify(thread)}`);
}
