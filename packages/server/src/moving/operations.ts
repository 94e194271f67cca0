import { existsSync, readdirSync, rmdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { StatefunError } from "@statefun-ts/protocol";
import { SNAPSHOT_KINDS, type SnapshotCounts, type StoreInfo } from "@statefun-ts/runtime/spi";
import type { StoreTarget } from "../cli/args.js";
import { type ExportHeader, type ExportSummary, exportLines, openExportFile, readExport, summarize, writeLines } from "./export-file.js";
import { progressBar } from "./progress.js";
import { type TargetStore, targetStore } from "./stores.js";

function bad(message: string): StatefunError {
  return new StatefunError("STATEFUN_BAD_CONFIG", message);
}

/** Opens a store; a SQLite store locked by a running worker gets a message that says what to do instead. */
async function openStore(found: TargetStore): Promise<StoreInfo> {
  try {
    return await found.store.open();
  } catch (error) {
    if (!(error as Error).message.includes("is in use by another process")) throw error;
    throw bad(
      `${(error as Error).message}; stop the worker first, or copy it while it runs: statefun export --admin URL, or statefun backup --admin URL then statefun restore`,
    );
  }
}

/** The store of `target`, refusing a SQLite directory that holds none (reading must not create one). */
function existingStore(target: StoreTarget, keyGroups?: number): TargetStore {
  const found = targetStore(target, keyGroups);
  if (found.isNew)
    throw bad(`there is no store at ${found.location} (no ${join(target.kind === "sqlite" ? target.dir : "", "statefun.db")})`);
  return found;
}

export interface ExportArgs {
  readonly store: StoreTarget;
  /** The file to write (it must not exist); absent: stdout. */
  readonly out?: string | undefined;
  /** Gzip the output (default: when `out` ends in `.gz`). */
  readonly gzip?: boolean | undefined;
}

/** `statefun export`: everything the store holds, as an export file (docs/export-format.md). */
export async function exportStore(args: ExportArgs): Promise<ExportSummary> {
  if (args.out !== undefined && existsSync(args.out)) throw bad(`${args.out} exists already: give a new file`);
  const found = existingStore(args.store);
  const { store, location } = found;
  const { keyGroups } = await openStore(found);
  try {
    const counts = await store.snapshotCounts();
    // A bar only when the export goes to a file: on stdout it would be part of the output's terminal.
    const total = args.out === undefined ? 0 : SNAPSHOT_KINDS.reduce((sum, kind) => sum + counts[kind], 0);
    const bar = args.out === undefined ? undefined : progressBar(total, "exporting");
    const { lines, done } = exportLines(store, { keyGroups, source: location, onRecord: () => bar?.tick() });
    try {
      await writeLines(lines, args.out ?? process.stdout, { gzip: args.gzip ?? args.out?.endsWith(".gz") ?? false });
      bar?.stop();
    } catch (error) {
      bar?.stop();
      // A half-written file is no export: remove it.
      if (args.out !== undefined) rmSync(args.out, { force: true });
      throw error;
    }
    return await done;
  } finally {
    await store.close();
  }
}

export interface ImportArgs {
  readonly store: StoreTarget;
  readonly file: string;
  /** Load into a store that is not empty (see `LoadOptions.merge`). */
  readonly merge?: boolean | undefined;
}

/** The header of an export file and its number of records, after checking the whole file (every line, counts, checksum). */
export async function checkExportFile(file: string): Promise<{ header: ExportHeader; records: number }> {
  let header: ExportHeader | undefined;
  const records = readExport(await openExportFile(file), {
    name: file,
    onHeader: (h) => {
      header = h;
    },
  });
  let count = 0;
  for await (const _ of records) count++;
  return { header: header!, records: count };
}

/** The records, ticking a progress bar (shown on a terminal only) as they pass. */
async function* withProgress<T>(records: AsyncIterable<T>, total: number, label: string): AsyncGenerator<T> {
  const bar = progressBar(total, label);
  try {
    for await (const record of records) {
      bar.tick();
      yield record;
    }
  } finally {
    bar.stop();
  }
}

/**
 * `statefun import`: checks the whole file first, then loads it in one transaction into an empty
 * store (a new one gets the file's key groups). Nothing is written when a check fails; a SQLite
 * store created for the import is removed again.
 */
export async function importFile(args: ImportArgs): Promise<SnapshotCounts> {
  const { header, records } = await checkExportFile(args.file);
  const target = targetStore(args.store, header.keyGroups);
  const { store, location } = target;
  const info = await openStore(target);
  let loaded = false;
  try {
    if (info.keyGroups !== header.keyGroups) {
      throw bad(
        `${args.file} was exported from a store of ${header.keyGroups} key groups, the store at ${location} has ${info.keyGroups}: ` +
          "state and messages are placed by key group, so import into a new store",
      );
    }
    const file = readExport(await openExportFile(args.file), { name: args.file });
    const counts = await store.loadSnapshot(withProgress(file, records, "importing"), { merge: args.merge });
    loaded = true;
    return counts;
  } finally {
    await store.close();
    if (!loaded && target.isNew && args.store.kind === "sqlite") removeSqliteStore(args.store.dir);
  }
}

/** Removes a SQLite store made by a failed import: its files, and its directory when that is left empty. */
function removeSqliteStore(dir: string): void {
  for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(join(dir, `statefun.db${suffix}`), { force: true });
  if (existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
}

export interface MigrateArgs {
  readonly from: StoreTarget;
  readonly to: StoreTarget;
}

export interface MigrateResult {
  readonly exported: ExportSummary;
  readonly verified: ExportSummary;
}

/**
 * `statefun migrate`: the export of `from` piped into an import into `to` (an empty store; a new
 * one gets `from`'s key groups), in one transaction, then verified: the target's rows, exported
 * again, must have the same counts and the same digest.
 */
export async function migrate(args: MigrateArgs): Promise<MigrateResult> {
  const source = existingStore(args.from);
  const { keyGroups } = await openStore(source);
  try {
    const target = targetStore(args.to, keyGroups);
    const info = await openStore(target);
    let loaded = false;
    try {
      if (info.keyGroups !== keyGroups) {
        throw bad(`${source.location} has ${keyGroups} key groups, ${target.location} has ${info.keyGroups}: migrate into a new store`);
      }
      const counts = await source.store.snapshotCounts();
      const bar = progressBar(
        SNAPSHOT_KINDS.reduce((sum, kind) => sum + counts[kind], 0),
        "migrating",
      );
      const { lines, done } = exportLines(source.store, { keyGroups, source: source.location, onRecord: () => bar.tick() });
      try {
        await target.store.loadSnapshot(readExport(Readable.from(lines), { name: "the migration stream" }));
      } finally {
        bar.stop();
      }
      loaded = true;
      const exported = await done;
      const verified = await summarize(target.store, keyGroups);
      const differ = SNAPSHOT_KINDS.filter((kind) => exported.counts[kind] !== verified.counts[kind]);
      if (differ.length > 0 || exported.digest !== verified.digest) {
        const which = differ.map((k) => `${k}: ${exported.counts[k]} exported, ${verified.counts[k]} in the target`).join("; ");
        throw bad(
          `verification failed: ${which || `the digest of the target (${verified.digest}) differs from the export's (${exported.digest})`}`,
        );
      }
      return { exported, verified };
    } finally {
      await target.store.close();
      if (!loaded && target.isNew && args.to.kind === "sqlite") removeSqliteStore(args.to.dir);
    }
  } finally {
    await source.store.close();
  }
}

/** Counts per kind as aligned lines (`kind  n`), for the commands' reports. */
export function countsTable(columns: Record<string, SnapshotCounts>): string {
  const names = Object.keys(columns);
  const rows = [["kind", ...names], ...SNAPSHOT_KINDS.map((kind) => [kind, ...names.map((n) => String(columns[n]![kind]))])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ")).join("\n");
}
