import { mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { StatefunError } from "@statefun-ts/protocol";
import { isNoSpace } from "@statefun-ts/runtime/spi";
import Database from "better-sqlite3";

export const DATABASE_FILE = "statefun.db";

/**
 * Opens `${dir}/statefun.db` for this process alone.
 *
 * The lock is SQLite's own: `locking_mode = EXCLUSIVE` set before entering WAL mode, then a
 * write transaction, makes the connection take the database file's exclusive lock and keep it
 * until `close()`. Another connection, in this process or another, then gets `SQLITE_BUSY` on
 * its first read. The operating system drops the lock when the process dies (even on SIGKILL),
 * so there is no stale lock file to clean up. In this mode the WAL index lives in heap memory
 * (no `-shm` file), which WAL allows precisely because no one else may open the file.
 */
export function openExclusive(dir: string, synchronous: "full" | "normal"): Database.Database {
  const file = join(dir, DATABASE_FILE);
  let db: Database.Database;
  refuseEmptyFile(file);
  try {
    mkdirSync(dir, { recursive: true });
    db = new Database(file, { timeout: 0 });
  } catch (cause) {
    throw cannotOpen(`cannot open the data directory ${dir}: ${(cause as Error).message}`, cause);
  }
  try {
    // Before anything reads the file: an existing WAL database is then opened with its WAL index in
    // heap memory from the start, never through a `-shm` file (which a full disk cannot give it).
    db.pragma("locking_mode = EXCLUSIVE");
    // Takes effect on a new, empty database only (an existing one keeps its mode until a VACUUM):
    // space freed by deletions can then go back to the file system in steps (`SqliteStore.reclaim`).
    db.pragma("auto_vacuum = INCREMENTAL");
    const mode = db.pragma("journal_mode = WAL", { simple: true });
    if (mode !== "wal") throw new Error(`journal_mode is ${String(mode)}, WAL is not supported here`);
    db.exec("BEGIN EXCLUSIVE; COMMIT");
  } catch (cause) {
    db.close();
    if ((cause as { code?: string }).code === "SQLITE_BUSY") {
      throw new StatefunError(
        "STATEFUN_BAD_CONFIG",
        `the data directory ${dir} is in use by another process (or another store in this one): ${file} is locked`,
        { cause },
      );
    }
    throw cannotOpen(`cannot open ${file}: ${(cause as Error).message}`, cause);
  }
  db.pragma(`synchronous = ${synchronous === "normal" ? "NORMAL" : "FULL"}`);
  db.pragma("busy_timeout = 5000");
  db.pragma("temp_store = MEMORY");
  db.pragma("cache_size = -65536");
  // After a checkpoint, the WAL file is cut back to this size instead of keeping its peak.
  db.pragma(`journal_size_limit = ${8 * 1024 * 1024}`);
  return db;
}

/**
 * A zero-length database file is not a new store: SQLite would take it as an empty database and
 * the worker would start with nothing (a truncated file, a failed copy). Only a missing file is new.
 */
function refuseEmptyFile(file: string): void {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return;
  }
  if (size === 0) {
    throw new StatefunError(
      "STATEFUN_BAD_CONFIG",
      `${file} is empty (0 bytes): it was truncated or never written, so its data is not there. Restore it from a backup, or, to start with an empty store, delete it`,
    );
  }
}

/** Why a store could not open: `STATEFUN_DISK_FULL` (not terminal: space may come back) when the disk is full, else a bad configuration. */
function cannotOpen(message: string, cause: unknown): StatefunError {
  if (isNoSpace(cause)) return new StatefunError("STATEFUN_DISK_FULL", message, { cause, terminal: false });
  return new StatefunError("STATEFUN_BAD_CONFIG", message, { cause });
}

/**
 * A new store that could not be created for lack of disk space leaves no file behind: a
 * zero-length `statefun.db` would be refused as truncated (`refuseEmptyFile`) once space returns.
 */
export function forgetFailedNewStore(file: string, error: unknown): void {
  if (!isNoSpace(error)) return;
  for (const suffix of ["", "-wal", "-shm"]) rmSync(`${file}${suffix}`, { force: true });
}
