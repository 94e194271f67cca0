import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SnapshotCounts } from "@statefun-ts/runtime/spi";
import type { Command } from "commander";
import { backup, restore } from "../moving/backup.js";
import type { ExportSummary } from "../moving/export-file.js";
import { countsTable, exportStore, importFile, migrate } from "../moving/operations.js";
import { importState } from "../moving/state-import.js";
import { parseStore, parseUrl } from "./args.js";

const STORE_HELP = "sqlite:DIR, a directory, or postgres://user@host:port/db[?schema=name]";

function total(counts: SnapshotCounts): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

function exported(summary: ExportSummary, where: string): string {
  return `exported ${summary.records} records to ${where}\n${countsTable({ records: summary.counts })}\nstate digest (sha256 of the records): ${summary.digest}\n`;
}

/** `statefun export|import|migrate|backup|restore`: moving a store's contents (docs/export-format.md). */
export function movingCommands(program: Command): void {
  program
    .command("export")
    .description("write everything a store holds to an export file (JSON lines; gzip for .gz)")
    .option("--store <url>", `the store to export (stopped): ${STORE_HELP}`, parseStore)
    .option("--admin <url>", "export a running embedded worker instead, through an online backup (its admin API)", parseUrl)
    .option("--out <file>", "the file to write (a new file; default: stdout)")
    .option("--gzip", "gzip the output (default: when --out ends in .gz)")
    .action(async (opts, command: Command) => {
      if ((opts.store === undefined) === (opts.admin === undefined)) command.error("error: give either --store or --admin");
      const args = { out: opts.out as string | undefined, gzip: opts.gzip as boolean | undefined };
      let summary: ExportSummary;
      if (opts.admin !== undefined) {
        const dir = await mkdtemp(join(tmpdir(), "statefun-export-"));
        try {
          await backup({ admin: opts.admin, out: join(dir, "statefun.db") });
          summary = await exportStore({ ...args, store: { kind: "sqlite", dir } });
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      } else {
        summary = await exportStore({ ...args, store: opts.store });
      }
      process.stderr.write(exported(summary, args.out ?? "stdout"));
    });

  program
    .command("import")
    .description("load an export file into an empty store (the file is checked whole first; nothing is written if it fails)")
    .argument("<file>", "an export file (statefun export), plain or gzipped")
    .requiredOption("--store <url>", `the store to load (stopped; a new one is created): ${STORE_HELP}`, parseStore)
    .option("--merge", "load into a store that holds data already (keyed rows are overwritten, messages appended)")
    .action(async (file: string, opts) => {
      const counts = await importFile({ store: opts.store, file, merge: opts.merge === true });
      process.stdout.write(`imported ${total(counts)} records from ${file}\n${countsTable({ records: counts })}\n`);
    });

  program
    .command("migrate")
    .description("move a store into another (e.g. SQLite to PostgreSQL): export piped into import, then verified")
    .requiredOption("--from <url>", `the store to read (stopped): ${STORE_HELP}`, parseStore)
    .requiredOption("--to <url>", `the empty store to write: ${STORE_HELP}`, parseStore)
    .action(async (opts) => {
      const result = await migrate({ from: opts.from, to: opts.to });
      process.stdout.write(
        `${countsTable({ source: result.exported.counts, target: result.verified.counts })}\n` +
          `verified: every count equal, state digest ${result.verified.digest} on both sides\n`,
      );
    });

  program
    .command("backup")
    .description("copy the embedded SQLite store to a file, online (while the worker runs) with --admin")
    .requiredOption("--out <file>", "the backup file to write (a new file)")
    .option("--data <dir>", "the data directory of a stopped worker")
    .option("--admin <url>", "the admin API of a running worker (POST /v1/backup; token: env STATEFUN_ADMIN_TOKEN)", parseUrl)
    .action(async (opts, command: Command) => {
      if ((opts.data === undefined) === (opts.admin === undefined)) command.error("error: give either --data or --admin");
      const counts = await backup({ out: opts.out, data: opts.data, admin: opts.admin });
      process.stdout.write(`backed up to ${opts.out}\n${countsTable({ rows: counts })}\n`);
    });

  // `statefun state import`: a subcommand of `statefun state <address>` (commander tries subcommands first).
  const state = program.commands.find((c) => c.name() === "state");
  (state ?? program.command("state"))
    .command("import")
    .description('seed state from JSON lines {"address": "ns/type/id", "state": {"name": value}}, encoded with each state\'s declared type')
    .argument("<file>", "the JSON lines file")
    .argument("[MODULE_FILE...]", "module files declaring the embedded functions' states (remote functions: the states they registered)")
    .option("--data <dir>", "data directory of the embedded SQLite store", ".statefun")
    .option("--store <url>", `the store (stopped; overrides --data): ${STORE_HELP}`, parseStore)
    .action(async (file: string, modules: string[], opts) => {
      const store = opts.store ?? { kind: "sqlite", dir: opts.data };
      const result = await importState({ store, file, modules });
      process.stdout.write(`imported ${result.values} state values of ${result.instances} instances from ${file}\n`);
    });

  program
    .command("restore")
    .description("make a backup file the store of a new data directory")
    .argument("<file>", "a backup file (statefun backup)")
    .requiredOption("--data <dir>", "the data directory to restore into (it must hold no store)")
    .action(async (file: string, opts) => {
      const counts = await restore({ file, data: opts.data });
      process.stdout.write(`restored ${file} into ${opts.data}\n${countsTable({ rows: counts })}\n`);
    });
}
