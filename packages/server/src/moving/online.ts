import type { Store } from "@statefun-ts/runtime/spi";
import { SqliteStore, ThreadedSqliteStore } from "@statefun-ts/store-sqlite";
import type { BackupStore } from "../http/admin-backup.js";

/** The online backup of a worker's store: the embedded SQLite store has one (on its thread or not), others none. */
export function backupOf(store: Store): BackupStore | undefined {
  return store instanceof SqliteStore || store instanceof ThreadedSqliteStore ? (file) => store.backup(file) : undefined;
}
