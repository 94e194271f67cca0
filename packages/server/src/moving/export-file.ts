import { createHash, type Hash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { createInterface } from "node:readline";
import { PassThrough, Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import { keyGroupOf, StatefunError } from "@statefun-ts/protocol";
import { type SnapshotCounts, type SnapshotRecord, type SnapshotStore, zeroCounts } from "@statefun-ts/runtime/spi";
import { parseRecord, recordJson } from "./records.js";

/** The name in every header: a file without it is not an export. */
export const EXPORT_FORMAT = "statefun-ts-export";
/** The version of the format this code writes, and the newest it reads. */
export const EXPORT_VERSION = 1;
/**
 * Kinds added to version 1 after its first files were written: an older reader refuses them as an
 * unknown kind (it does not misread them), and an older file has none of them and no count of them.
 */
const ADDED_SINCE_VERSION_1: ReadonlySet<string> = new Set(["source-position", "next-id"]);

export interface ExportHeader {
  readonly format: typeof EXPORT_FORMAT;
  readonly version: number;
  readonly keyGroups: number;
  /** Where the export was taken (a store location without a password). */
  readonly source: string;
  /** When (ISO 8601). */
  readonly createdAt: string;
}

/** What an export held: rows of each kind, and the SHA-256 of its record lines (header and trailer left out). */
export interface ExportSummary {
  readonly records: number;
  readonly counts: SnapshotCounts;
  /** Equal for two exports of the same rows, wherever they were taken. */
  readonly digest: string;
}

/**
 * The lines of an export of `store` (each ending in "\n"): the header, one line per record, the
 * trailer with the counts and the SHA-256 of every byte before it. `done` resolves with the summary
 * once the trailer is out.
 */
export function exportLines(
  store: SnapshotStore,
  options: { readonly keyGroups: number; readonly source: string; readonly pageSize?: number; readonly onRecord?: () => void },
): { lines: AsyncGenerator<string>; done: Promise<ExportSummary> } {
  let finish!: (summary: ExportSummary) => void;
  let fail!: (error: unknown) => void;
  const done = new Promise<ExportSummary>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  done.catch(() => {});
  async function* lines(): AsyncGenerator<string> {
    try {
      const header: ExportHeader = {
        format: EXPORT_FORMAT,
        version: EXPORT_VERSION,
        keyGroups: options.keyGroups,
        source: options.source,
        createdAt: new Date().toISOString(),
      };
      const file = createHash("sha256");
      const digest = createHash("sha256");
      const first = `${JSON.stringify(header)}\n`;
      file.update(first);
      yield first;
      const counts = zeroCounts();
      let records = 0;
      for await (const record of store.readSnapshot(options.pageSize)) {
        const line = `${JSON.stringify(recordJson(record))}\n`;
        file.update(line);
        digest.update(line);
        counts[record.kind]++;
        records++;
        options.onRecord?.();
        yield line;
      }
      const summary = { records, counts, digest: digest.digest("hex") };
      yield `${JSON.stringify({ kind: "end", records, counts, sha256: file.digest("hex") })}\n`;
      finish(summary);
    } catch (error) {
      fail(error);
      throw error;
    }
  }
  return { lines: lines(), done };
}

/** Writes lines to `out` (a file path, or a stream such as stdout), gzipped when asked. */
export async function writeLines(lines: AsyncIterable<string>, out: string | Writable, options: { gzip?: boolean } = {}): Promise<void> {
  const target = typeof out === "string" ? createWriteStream(out, { flags: "wx" }) : out;
  const source = Readable.from(lines);
  // A file is ended (flushed and closed); stdout stays open.
  const end = typeof out === "string";
  if (options.gzip) await pipeline(source, createGzip(), target, { end });
  else await pipeline(source, target, { end });
}

/** Digest and counts of a store's rows, as an export of it would say (nothing written). */
export async function summarize(store: SnapshotStore, keyGroups: number): Promise<ExportSummary> {
  const { lines, done } = exportLines(store, { keyGroups, source: "" });
  for await (const _ of lines);
  return done;
}

function bad(message: string): StatefunError {
  return new StatefunError("STATEFUN_BAD_CONFIG", message);
}

/** A stream of the file's bytes, gunzipped when it starts with the gzip magic bytes. */
export async function openExportFile(file: string): Promise<Readable> {
  const input = createReadStream(file);
  await new Promise<void>((resolve, reject) => {
    input.once("readable", resolve);
    input.once("error", (cause) => reject(bad(`cannot read ${file}: ${cause.message}`)));
  });
  const head = input.read(2) as Buffer | null;
  if (head !== null) input.unshift(head);
  if (head !== null && head[0] === 0x1f && head[1] === 0x8b) {
    const gunzip = createGunzip();
    const out = new PassThrough();
    pipeline(input, gunzip, out).catch((cause: Error) => out.destroy(bad(`${file} is not a valid gzip file: ${cause.message}`)));
    return out;
  }
  return input;
}

export interface ReadOptions {
  /** Where the lines come from, for messages (a file name). */
  readonly name: string;
  /** Called with the header before any record is returned; may throw to refuse the file. */
  readonly onHeader?: (header: ExportHeader) => void;
}

/**
 * The records of an export, checked as they are read: the header (format, a version this code
 * reads), each line (JSON, a known kind, its fields), and at the end the trailer (present, counts
 * equal to the records read, SHA-256 equal to that of every byte before it). Any fault throws a
 * `StatefunError` naming the line; a consumer that writes in one transaction then writes nothing.
 */
export async function* readExport(input: Readable, options: ReadOptions): AsyncGenerator<SnapshotRecord, ExportSummary> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  const file: Hash = createHash("sha256");
  const digest: Hash = createHash("sha256");
  const counts = zeroCounts();
  let number = 0;
  let records = 0;
  let ended = false;
  let header: ExportHeader | undefined;
  const at = () => `${options.name} line ${number}`;
  try {
    for await (const line of lines) {
      number++;
      if (ended) throw bad(`${at()}: data after the trailer (the end record)`);
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch (cause) {
        throw bad(`${at()}: not JSON (${(cause as Error).message}); the file is damaged or not an export`);
      }
      if (number === 1) {
        header = checkHeader(json, at());
        options.onHeader?.(header);
        file.update(`${line}\n`);
        continue;
      }
      if ((json as { kind?: unknown } | null)?.kind === "end") {
        checkTrailer(json, { at: at(), records, counts, sha256: file.digest("hex") });
        ended = true;
        continue;
      }
      const record = parseRecord(json);
      if (typeof record === "string") throw bad(`${at()}: ${record}`);
      const placed = placeOfRecord(record);
      if (placed !== undefined && placed.keyGroup >= header!.keyGroups) {
        throw bad(`${at()}: ${record.kind} record: keyGroup ${placed.keyGroup} is not below the header's keyGroups (${header!.keyGroups})`);
      }
      // State or a message in another key group than its id's would never be found by the instance it belongs to.
      if (placed !== undefined && record.kind !== "dead-letter" && placed.keyGroup !== keyGroupOf(placed.id, header!.keyGroups)) {
        throw bad(
          `${at()}: ${record.kind} record: keyGroup ${placed.keyGroup} is not the key group of id ${JSON.stringify(placed.id)} (${keyGroupOf(placed.id, header!.keyGroups)} of ${header!.keyGroups})`,
        );
      }
      file.update(`${line}\n`);
      digest.update(`${line}\n`);
      counts[record.kind]++;
      records++;
      yield record;
    }
  } finally {
    lines.close();
    input.destroy();
  }
  if (number === 0) throw bad(`${options.name} is empty: an export starts with a header line`);
  if (!ended) throw bad(`${options.name} ends at line ${number} without its trailer (the end record): the file is truncated`);
  return { records, counts, digest: digest.digest("hex") };
}

/** The key group a record is placed in and the id that places it, for those that have one. */
function placeOfRecord(record: SnapshotRecord): { keyGroup: number; id: string } | undefined {
  if (record.kind === "state") return { keyGroup: record.keyGroup, id: record.address.id };
  if (record.kind === "message") return { keyGroup: record.message.keyGroup, id: record.message.target.id };
  if (record.kind === "dead-letter") return { keyGroup: record.letter.message.keyGroup, id: record.letter.message.target.id };
  return undefined;
}

function checkHeader(json: unknown, at: string): ExportHeader {
  const header = json as Partial<ExportHeader> | null;
  if (header?.format !== EXPORT_FORMAT) {
    throw bad(`${at}: not the header of a Statefun TS export (expected "format": "${EXPORT_FORMAT}")`);
  }
  if (!Number.isInteger(header.version) || (header.version as number) < 1) {
    throw bad(`${at}: the header's version must be a positive integer, got ${JSON.stringify(header.version)}`);
  }
  if ((header.version as number) > EXPORT_VERSION) {
    throw bad(
      `${at}: the export has format version ${header.version}, newer than this Statefun TS reads (${EXPORT_VERSION}); upgrade Statefun TS`,
    );
  }
  if (!Number.isInteger(header.keyGroups) || (header.keyGroups as number) < 1) {
    throw bad(`${at}: the header's keyGroups must be a positive integer, got ${JSON.stringify(header.keyGroups)}`);
  }
  return header as ExportHeader;
}

function checkTrailer(json: unknown, seen: { at: string; records: number; counts: SnapshotCounts; sha256: string }): void {
  const trailer = json as { records?: unknown; counts?: Record<string, unknown>; sha256?: unknown };
  if (trailer.sha256 !== seen.sha256) {
    throw bad(
      `${seen.at}: checksum mismatch: the lines before the trailer have SHA-256 ${seen.sha256}, the trailer says ${String(trailer.sha256)}; the file was changed after export`,
    );
  }
  if (trailer.records !== seen.records) {
    throw bad(`${seen.at}: the trailer counts ${String(trailer.records)} records, the file holds ${seen.records}`);
  }
  for (const [kind, n] of Object.entries(seen.counts)) {
    // A file of an older Statefun TS (same format version) has no count of a kind added since: 0.
    const counted = trailer.counts?.[kind] ?? (ADDED_SINCE_VERSION_1.has(kind) && trailer.counts !== undefined ? 0 : undefined);
    if (counted !== n) {
      throw bad(`${seen.at}: the trailer counts ${String(trailer.counts?.[kind])} ${kind} records, the file holds ${n}`);
    }
  }
}
