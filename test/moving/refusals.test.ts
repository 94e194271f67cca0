import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SnapshotCounts, Store } from "@statefun-ts/runtime/spi";
import { storeFromUrl } from "@statefun-ts/store-postgres";
import { SqliteStore } from "@statefun-ts/store-sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoreTarget } from "../../packages/server/src/cli/args.js";
import { openExportFile, readExport } from "../../packages/server/src/moving/export-file.js";
import { exportStore, importFile } from "../../packages/server/src/moving/operations.js";
import { batch, range } from "../store/helpers.js";
import { fillStore } from "./fill.js";
import { exportFileLines, postgresTarget, tempDir } from "./helpers.js";

const KEY_GROUPS = 8;
const tmp = tempDir();
const good = join(tmp.dir, "good.jsonl");
let lines: string[] = [];
let exported: SnapshotCounts;

beforeAll(async () => {
  const store = new SqliteStore({ dir: join(tmp.dir, "source"), keyGroups: KEY_GROUPS });
  await store.open();
  await fillStore(store, { keyGroups: KEY_GROUPS, instances: 20 });
  await store.close();
  exported = (await exportStore({ store: { kind: "sqlite", dir: join(tmp.dir, "source") }, out: good })).counts;
  lines = exportFileLines(good);
});
afterAll(() => tmp.cleanup());

let files = 0;
function variant(content: string[] | string): string {
  const file = join(tmp.dir, `variant-${++files}.jsonl`);
  writeFileSync(file, typeof content === "string" ? content : `${content.join("\n")}\n`);
  return file;
}

/** Rows in the store (every kind but the module catalog version, `registry-version`), opened and closed again. */
async function rowsIn(store: Store): Promise<number> {
  await store.open();
  try {
    const counts = await store.snapshotCounts();
    // Every store counts one registry-version and its next ids, rows or not.
    const bookkeeping = new Set(["registry-version", "next-id"]);
    return Object.entries(counts).reduce((sum, [kind, n]) => (bookkeeping.has(kind) ? sum : sum + n), 0);
  } finally {
    await store.close();
  }
}

const lineOf = (kind: string) => lines.findIndex((l) => l.includes(`"kind":"${kind}"`));

/** A variant of the good export whose first record of `kind` is rewritten by `edit`. */
function withRecord(kind: string, edit: (line: string) => string): string {
  const copy = [...lines];
  const at = lineOf(kind);
  copy[at] = edit(copy[at]!);
  return variant(copy);
}

/** Every bad file of the suite, with the error it must get. */
const cases: [string, () => string, RegExp | (() => RegExp)][] = [
  ["a file cut after a whole line (no trailer)", () => variant(lines.slice(0, -1)), /ends at line \d+ without its trailer.*truncated/],
  [
    "a file cut in the middle of a record",
    () => variant(readFileSync(good, "utf8").slice(0, Math.floor(readFileSync(good, "utf8").length / 2))),
    /line \d+: not JSON/,
  ],
  [
    "a record whose value was changed (valid JSON, wrong checksum)",
    () =>
      withRecord("state", (line) => {
        const record = JSON.parse(line);
        record.value = Buffer.from("tampered").toString("base64");
        return JSON.stringify(record);
      }),
    /checksum mismatch.*changed after export/,
  ],
  [
    "a record with a field of the wrong type",
    () => withRecord("message", (line) => line.replace(/"keyGroup":\d+/, '"keyGroup":"three"')),
    () => new RegExp(`line ${lineOf("message") + 1}: message record: field keyGroup: .*expected number`),
  ],
  [
    "a record of an unknown kind",
    () => variant([lines[0]!, '{"kind":"mystery"}', ...lines.slice(1)]),
    /line 2: unknown record kind "mystery"/,
  ],
  [
    "a version from the future",
    () => variant([JSON.stringify({ ...JSON.parse(lines[0]!), version: 2 }), ...lines.slice(1)]),
    /line 1: the export has format version 2, newer than this Statefun TS reads \(1\)/,
  ],
  [
    "a state record placed in another key group than its id's (the instance would never find it)",
    () =>
      withRecord("state", (line) => {
        const record = JSON.parse(line);
        return JSON.stringify({ ...record, keyGroup: (record.keyGroup + 1) % KEY_GROUPS });
      }),
    () => new RegExp(`line ${lineOf("state") + 1}: state record: keyGroup \\d+ is not the key group of id ".*" \\(\\d+ of 8\\)`),
  ],
  [
    "a dead letter failed at a time past the last date (the admin API could not list it)",
    () => withRecord("dead-letter", (line) => line.replace(/"failedAt":\d+/, '"failedAt":9007199254740991')),
    () => new RegExp(`line ${lineOf("dead-letter") + 1}: dead-letter record: field failedAt: .*8640000000000000`),
  ],
  [
    "a record placed in a key group the header does not have",
    () => withRecord("state", (line) => line.replace(/"keyGroup":\d+/, '"keyGroup":8')),
    () => new RegExp(`line ${lineOf("state") + 1}: state record: keyGroup 8 is not below the header's keyGroups \\(8\\)`),
  ],
  ["a file that is not an export", () => variant(["hello"]), /line 1: not JSON/],
  ["data after the trailer", () => variant([...lines, lines[1]!]), /data after the trailer/],
];

describe("import refuses a bad file, writing nothing", () => {
  for (const [name, make, expected] of cases) {
    it(`${name}: SQLite (no store is left behind) and PostgreSQL`, async () => {
      const file = make();
      const error = typeof expected === "function" ? expected() : expected;
      const dir = join(tmp.dir, `new-${files}`);
      await expect(importFile({ store: { kind: "sqlite", dir }, file })).rejects.toThrow(error);
      expect(existsSync(join(dir, "statefun.db"))).toBe(false);

      const pg = postgresTarget();
      try {
        await expect(importFile({ store: pg.target, file })).rejects.toThrow(error);
        expect(await rowsIn(storeFromUrl(pg.url))).toBe(0);
      } finally {
        await pg.drop();
      }
    });
  }

  it("the loader itself writes nothing when the stream fails at its end (one transaction), SQLite and PostgreSQL", async () => {
    const file = withRecord("egress", (line) => line.replace('"topic":"odd"', '"topic":"even"'));
    const sqlite = new SqliteStore({ dir: join(tmp.dir, "loader"), keyGroups: KEY_GROUPS });
    const pg = postgresTarget();
    const postgres = storeFromUrl(pg.url, { keyGroups: KEY_GROUPS });
    try {
      for (const store of [sqlite, postgres]) {
        await store.open();
        await expect(store.loadSnapshot(readExport(await openExportFile(file), { name: file }))).rejects.toThrow(/checksum mismatch/);
        await store.close();
        expect(await rowsIn(store)).toBe(0);
      }
    } finally {
      await pg.drop();
    }
  });

  it("a key-group count that differs from the target store's is refused, naming both", async () => {
    const dir = join(tmp.dir, "other-groups");
    const store = new SqliteStore({ dir, keyGroups: 4 });
    await store.open();
    await store.close();
    await expect(importFile({ store: { kind: "sqlite", dir }, file: good })).rejects.toThrow(
      /exported from a store of 8 key groups, the store at sqlite:.* has 4/,
    );
    expect(await rowsIn(new SqliteStore({ dir }))).toBe(0);

    const pg = postgresTarget();
    try {
      const other = storeFromUrl(pg.url, { keyGroups: 16 });
      await other.open();
      await other.close();
      await expect(importFile({ store: pg.target, file: good })).rejects.toThrow(/8 key groups, the store at .* has 16/);
      expect(await rowsIn(storeFromUrl(pg.url))).toBe(0);
    } finally {
      await pg.drop();
    }
  });

  it("a store that is not empty is refused unless merging; a merge appends messages and keeps what was there", async () => {
    const target: StoreTarget = { kind: "sqlite", dir: join(tmp.dir, "full") };
    await importFile({ store: target, file: good });
    const before = await rowsIn(new SqliteStore({ dir: target.dir }));
    await expect(importFile({ store: target, file: good })).rejects.toThrow(/is not empty: import into a new store, or merge with --merge/);
    expect(await rowsIn(new SqliteStore({ dir: target.dir }))).toBe(before);
    // The target moves on after the first import: a merge writes the file's position over its own.
    const moved = new SqliteStore({ dir: target.dir });
    await moved.open();
    try {
      const fence = { owner: "w", epochs: await moved.acquire("w", range(KEY_GROUPS)) };
      const advance = { source: "kafka:orders", partition: "orders/2", from: 42, to: 50, messages: [], deadLetters: [] };
      await moved.commit(batch(fence, { sources: [advance] }));
      expect((await moved.loadSourcePositions("kafka:orders")).get("orders/2")).toBe(50);
    } finally {
      await moved.close();
    }

    const merged = await importFile({ store: target, file: good, merge: true });
    expect(merged).toEqual(exported);
    const store = new SqliteStore({ dir: target.dir });
    await store.open();
    try {
      const counts = await store.snapshotCounts();
      // Keyed rows are overwritten; messages, egress records and dead letters are appended.
      expect(counts.state).toBe(exported.state);
      expect(counts.message).toBe(exported.message * 2);
      expect(counts.egress).toBe(exported.egress * 2);
      expect(counts["dead-letter"]).toBe(exported["dead-letter"] * 2);
      expect(counts["idempotency-key"]).toBe(exported["idempotency-key"]);
      expect(counts["source-position"]).toBe(exported["source-position"]);
      expect((await store.loadSourcePositions("kafka:orders")).get("orders/2")).toBe(42);
    } finally {
      await store.close();
    }
  });
});
