import { existsSync } from "node:fs";
import { StatefunError } from "@statefun-ts/protocol";
import type { SnapshotCounts } from "@statefun-ts/runtime/spi";
import type Database from "better-sqlite3";
import { snapshotCounts } from "./snapshot-read.js";

/**
 * Copies the open database to `file` with SQLite's online backup API, 100 pages per step: the
 * store keeps committing between steps (its commits go through the same connection, so SQLite
 * carries them into the copy). The copy is the database as of the last step; the counts returned
 * are read right after that step, before any other commit can run, so they describe the copy.
 */
export async function backupSqlite(db: Database.Database, file: string): Promise<SnapshotCounts> {
  if (existsSync(file)) throw new StatefunError("STATEFUN_BAD_CONFIG", `the backup file ${file} exists already: give a new file`);
  try {
    await db.backup(file);
  } catch (cause) {
    throw new StatefunError("STATEFUN_BAD_CONFIG", `cannot write the backup ${file}: ${(cause as Error).message}`, { cause });
  }
  return snapshotCounts(db);
}
