import { copyFileSync, createWriteStream, existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { StatefunError } from "@statefun-ts/protocol";
import type { SnapshotCounts } from "@statefun-ts/runtime/spi";
import { SqliteStore } from "@statefun-ts/store-sqlite";
import { ADMIN_TOKEN_ENV } from "../http/auth.js";

/** The response header of `POST /v1/backup` that carries the counts of the copy (JSON). */
export const BACKUP_COUNTS_HEADER = "statefun-backup-counts";

function bad(message: string): StatefunError {
  return new StatefunError("STATEFUN_BAD_CONFIG", message);
}

export interface BackupArgs {
  /** The file to write (must not exist). */
  readonly out: string;
  /** The data directory of a stopped worker, or… */
  readonly data?: string | undefined;
  /** …the admin API of a running one (`POST /v1/backup`). */
  readonly admin?: string | undefined;
}

/**
 * `statefun backup`: a copy of the embedded store's database. With `data`, the store is opened
 * (the worker must be stopped: a running one holds its lock, and the message says to use
 * `--admin`); with `admin`, the running worker copies itself online and sends the copy.
 */
export async function backup(args: BackupArgs): Promise<SnapshotCounts> {
  if (existsSync(args.out)) throw bad(`${args.out} exists already: give a new file`);
  if (args.admin !== undefined) return backupOnline(args.admin, args.out);
  const dir = args.data!;
  if (!existsSync(join(dir, "statefun.db"))) throw bad(`there is no store in ${dir} (no statefun.db)`);
  const store = new SqliteStore({ dir });
  try {
    await store.open();
  } catch (error) {
    const message = (error as Error).message;
    if (!message.includes("in use")) throw error;
    throw bad(
      `${message}; to back up a running worker, give its admin API: statefun backup --admin http://127.0.0.1:8081 --out ${args.out}`,
    );
  }
  try {
    return await store.backup(args.out);
  } finally {
    await store.close();
  }
}

async function backupOnline(admin: string, out: string): Promise<SnapshotCounts> {
  const token = process.env[ADMIN_TOKEN_ENV];
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  let response: Response;
  try {
    response = await fetch(`${admin}/v1/backup`, { method: "POST", headers });
  } catch (cause) {
    throw bad(`cannot reach the admin API at ${admin}: ${(cause as Error).message}`);
  }
  if (!response.ok || response.body === null) {
    const text = await response.text();
    throw bad(`the backup failed (HTTP ${response.status}): ${text}`);
  }
  const counts = JSON.parse(response.headers.get(BACKUP_COUNTS_HEADER) ?? "{}") as SnapshotCounts;
  try {
    await pipeline(Readable.fromWeb(response.body as import("node:stream/web").ReadableStream), createWriteStream(out, { flags: "wx" }));
  } catch (error) {
    rmSync(out, { force: true });
    throw error;
  }
  return counts;
}

export interface RestoreArgs {
  /** A backup file (`statefun backup`). */
  readonly file: string;
  /** The data directory to restore into: it must hold no store. */
  readonly data: string;
}

/** `statefun restore`: puts a backup in place as the store of a new data directory, and checks it opens. */
export async function restore(args: RestoreArgs): Promise<SnapshotCounts> {
  if (!existsSync(args.file)) throw bad(`there is no backup file ${args.file}`);
  const db = join(args.data, "statefun.db");
  if (existsSync(db)) throw bad(`${args.data} holds a store already: restore into a new directory`);
  mkdirSync(args.data, { recursive: true });
  copyFileSync(args.file, db);
  const store = new SqliteStore({ dir: args.data });
  let ok = false;
  try {
    await store.open();
    const counts = await store.snapshotCounts();
    ok = true;
    return counts;
  } catch (error) {
    throw bad(`${args.file} is not a Statefun TS backup: ${(error as Error).message}`);
  } finally {
    await store.close();
    if (!ok) for (const suffix of ["", "-wal", "-shm"]) rmSync(`${db}${suffix}`, { force: true });
  }
}
