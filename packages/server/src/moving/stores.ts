import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Store } from "@statefun-ts/runtime/spi";
import { PostgresStore, storeFromUrl } from "@statefun-ts/store-postgres";
import { SqliteStore } from "@statefun-ts/store-sqlite";
import type { StoreTarget } from "../cli/args.js";

/** A store of the command line, not opened yet. */
export interface TargetStore {
  readonly store: Store;
  /** Where it lives, for messages and export headers (no password). */
  readonly location: string;
  /** True when the store did not exist before (a SQLite directory without a database). */
  readonly isNew: boolean;
}

/** The store `target` names; a new one gets `keyGroups` (an existing one keeps its own). */
export function targetStore(target: StoreTarget, keyGroups?: number): TargetStore {
  const options = keyGroups === undefined ? {} : { keyGroups };
  if (target.kind === "postgres") {
    const store = storeFromUrl(target.url, options);
    return { store, location: (store as PostgresStore).location, isNew: false };
  }
  return {
    store: new SqliteStore({ dir: target.dir, ...options }),
    location: `sqlite:${target.dir}`,
    isNew: !existsSync(join(target.dir, "statefun.db")),
  };
}

export { PostgresStore };
