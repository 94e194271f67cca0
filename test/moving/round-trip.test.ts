import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { SNAPSHOT_KINDS, type SnapshotRecord } from "@statefun-ts/runtime/spi";
import { MemoryStore } from "@statefun-ts/runtime/testing";
import { PostgresStore } from "@statefun-ts/store-postgres";
import { SqliteStore } from "@statefun-ts/store-sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { exportLines, summarize } from "../../packages/server/src/moving/export-file.js";
import { exportStore, importFile, migrate } from "../../packages/server/src/moving/operations.js";
import { addr, batch, message, range, text } from "../store/helpers.js";
import { AWKWARD_IDS, fillStore, SOURCE_POSITIONS } from "./fill.js";
import { exportFileLines, postgresTarget, recordLines, tempDir } from "./helpers.js";

const KEY_GROUPS = 16;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function filledSqlite(dir: string, instances = 700): Promise<void> {
  const store = new SqliteStore({ dir, keyGroups: KEY_GROUPS });
  await store.open();
  try {
    await fillStore(store, { keyGroups: KEY_GROUPS, instances });
  } finally {
    await store.close();
  }
}

describe("export and import", () => {
  it("round trip SQLite → file → PostgreSQL → file (gzip) → SQLite gives identical exports", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const pg = postgresTarget();
    cleanups.push(pg.drop);
    const a = join(tmp.dir, "a");
    const b = join(tmp.dir, "b");
    await filledSqlite(a);

    const first = await exportStore({ store: { kind: "sqlite", dir: a }, out: join(tmp.dir, "1.jsonl") });
    expect(first.counts).toMatchObject({ registry: 2, "state-spec": 2, parked: 1, "idempotency-key": 10, reply: 12, "dead-letter": 4 });
    expect(first.counts.state).toBe((700 + AWKWARD_IDS.length) * 3);
    expect(first.counts.message).toBe(60 - 7 + 40 - 3 + 10);
    expect(first.counts.egress).toBe(30 - 4);
    expect(first.counts["source-position"]).toBe(SOURCE_POSITIONS.length);

    const intoPostgres = await importFile({ store: pg.target, file: join(tmp.dir, "1.jsonl") });
    expect(intoPostgres).toEqual(first.counts);
    const second = await exportStore({ store: pg.target, out: join(tmp.dir, "2.jsonl.gz") });
    await importFile({ store: { kind: "sqlite", dir: b }, file: join(tmp.dir, "2.jsonl.gz") });
    const third = await exportStore({ store: { kind: "sqlite", dir: b }, out: join(tmp.dir, "3.jsonl") });

    expect(second.digest).toBe(first.digest);
    expect(third.digest).toBe(first.digest);
    expect(recordLines(join(tmp.dir, "2.jsonl.gz"))).toEqual(recordLines(join(tmp.dir, "1.jsonl")));
    expect(recordLines(join(tmp.dir, "3.jsonl"))).toEqual(recordLines(join(tmp.dir, "1.jsonl")));
    // Source positions come last, in byte order of (source, partition), and arrive in each store.
    const positions = recordLines(join(tmp.dir, "3.jsonl"))
      .map((line) => JSON.parse(line) as { kind: string })
      .filter((r) => r.kind === "source-position");
    expect(positions).toEqual(SOURCE_POSITIONS.map((p) => ({ kind: "source-position", ...p })));
    const copy = new SqliteStore({ dir: b });
    await copy.open();
    try {
      expect(await copy.loadSourcePositions("kafka:orders")).toEqual(
        new Map(SOURCE_POSITIONS.filter((p) => p.source === "kafka:orders").map((p) => [p.partition, p.position])),
      );
      expect(await copy.loadSourcePositions("kafka-egress")).toEqual(new Map([["outbox", 77]]));
    } finally {
      await copy.close();
    }
    // The header names the key groups; the trailer the counts.
    const lines = exportFileLines(join(tmp.dir, "3.jsonl"));
    expect(JSON.parse(lines[0]!)).toMatchObject({ format: "statefun-ts-export", version: 1, keyGroups: KEY_GROUPS });
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ kind: "end", records: third.records, counts: first.counts });
  });

  it("an imported PostgreSQL store goes on: new seqs and egress ids come after the imported ones, messages keep their order", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const pg = postgresTarget();
    cleanups.push(pg.drop);
    const a = join(tmp.dir, "a");
    await filledSqlite(a, 10);
    await exportStore({ store: { kind: "sqlite", dir: a }, out: join(tmp.dir, "1.jsonl") });
    await importFile({ store: pg.target, file: join(tmp.dir, "1.jsonl") });

    const source = new SqliteStore({ dir: a });
    await source.open();
    const expected = await source.loadMessages(range(KEY_GROUPS), 0, 1000);
    const maxEgress = Math.max(
      ...(await source.peekEgress("odd", 100)).map((e) => e.id),
      ...(await source.peekEgress("even", 100)).map((e) => e.id),
    );
    await source.close();

    const store = new PostgresStore({ url: pg.url.replace(/\?.*$/, ""), schema: new URL(pg.url).searchParams.get("schema")! });
    await store.open();
    try {
      expect(await store.loadMessages(range(KEY_GROUPS), 0, 1000)).toEqual(expected);
      const page = await store.loadMessagesSince(range(KEY_GROUPS), 0, 1000);
      expect(page.messages.map((m) => m.seq)).toEqual(expected.map((m) => m.seq));
      const seq = await store.allocateSeqs(1);
      expect(seq).toBeGreaterThan(Math.max(...expected.map((m) => m.seq)));
      const fence = { owner: "w", epochs: await store.acquire("w", range(KEY_GROUPS)) };
      await store.commit(batch(fence, { egress: [{ egress: "out", topic: "odd", argument: text("new"), createdAt: 9 }] }));
      const odd = await store.peekEgress("odd", 100);
      expect(odd.at(-1)!.id).toBeGreaterThan(maxEgress);
      expect(await store.moduleCatalogVersion()).toBe(4);
      expect((await store.loadState(addr("😀"))).map((e) => e.name)).toEqual(["count", "name", "session"]);
      expect(await store.loadSourcePositions("kafka-egress")).toEqual(new Map([["outbox", 77]]));
      expect((await store.loadSourcePositions("kafka:orders")).get("orders/10")).toBe(9_007_199_254_740_000);
    } finally {
      await store.close();
    }
  });

  it("ids already given never come back: a store whose egress records were all delivered and dead letters replayed moves, and goes on above them", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const pg = postgresTarget();
    cleanups.push(pg.drop);
    const [a, b] = [join(tmp.dir, "a"), join(tmp.dir, "b")];
    const pgStore = () => new PostgresStore({ url: pg.url.replace(/\?.*$/, ""), schema: new URL(pg.url).searchParams.get("schema")! });
    /** Gives 5 egress ids and 3 dead-letter ids, then empties both tables (delivered, replayed); returns the new ids. */
    const giveAndEmpty = async (store: SqliteStore | PostgresStore | MemoryStore) => {
      const fence = { owner: "w", epochs: await store.acquire("w", range(KEY_GROUPS)) };
      const seq = await store.allocateSeqs(3);
      await store.commit(
        batch(fence, {
          egress: range(5).map((i) => ({ egress: "out", topic: "t", argument: text(`r${i}`), createdAt: i })),
          deadLetters: range(3).map((i) => ({ message: message(seq + i, 0), error: "e", attempts: 1, failedAt: i })),
        }),
      );
      const given = await store.peekEgress("t", 100);
      await store.deleteEgress(given.map((e) => e.id));
      const letters = await store.listDeadLetters(100);
      await store.commit(batch(fence, { replayed: letters.map((l) => l.id) }));
      return { egress: given.map((e) => e.id), dead: letters.map((l) => l.id) };
    };
    const allIds = { egress: [] as number[], dead: [] as number[] };
    const run = async (store: SqliteStore | PostgresStore | MemoryStore) => {
      await store.open();
      try {
        const ids = await giveAndEmpty(store);
        expect(Math.min(...ids.egress), "an egress id given again").toBeGreaterThan(Math.max(0, ...allIds.egress));
        expect(Math.min(...ids.dead), "a dead-letter id given again").toBeGreaterThan(Math.max(0, ...allIds.dead));
        allIds.egress.push(...ids.egress);
        allIds.dead.push(...ids.dead);
      } finally {
        await store.close();
      }
    };
    await run(new SqliteStore({ dir: a, keyGroups: KEY_GROUPS }));
    await migrate({ from: { kind: "sqlite", dir: a }, to: pg.target });
    await run(pgStore());
    await exportStore({ store: pg.target, out: join(tmp.dir, "pg.jsonl") });
    await importFile({ store: { kind: "sqlite", dir: b }, file: join(tmp.dir, "pg.jsonl") });
    await run(new SqliteStore({ dir: b }));
    const memory = new MemoryStore(KEY_GROUPS);
    const copy = new SqliteStore({ dir: b });
    await copy.open();
    await memory.loadSnapshot(copy.readSnapshot());
    await copy.close();
    await run(memory);
    expect(allIds.egress).toHaveLength(20);
  });

  it("the memory store streams the same records as SQLite for the same rows, and loads them back", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const a = join(tmp.dir, "a");
    await filledSqlite(a, 50);
    const memory = new MemoryStore(KEY_GROUPS);
    await fillStore(memory, { keyGroups: KEY_GROUPS, instances: 50 });
    const sqlite = await exportStore({ store: { kind: "sqlite", dir: a }, out: join(tmp.dir, "s.jsonl") });
    const fromMemory = await summarize(memory, KEY_GROUPS);
    expect(fromMemory).toEqual(sqlite);

    const copy = new MemoryStore(KEY_GROUPS);
    await copy.loadSnapshot(memory.readSnapshot());
    expect(await summarize(copy, KEY_GROUPS)).toEqual(sqlite);
    expect(await copy.snapshotCounts()).toEqual(sqlite.counts);
  });

  it("a file written before source positions and next ids were exported (no such records, no such counts) still imports", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const a = join(tmp.dir, "a");
    await filledSqlite(a, 10);
    const current = await exportStore({ store: { kind: "sqlite", dir: a }, out: join(tmp.dir, "new.jsonl") });
    // The same file as an older Statefun TS wrote it: no source-position nor next-id lines, no such keys in the trailer's counts.
    const added = new Set(["source-position", "next-id"]);
    const [header, ...rest] = exportFileLines(join(tmp.dir, "new.jsonl"));
    const records = rest.slice(0, -1).filter((line) => !added.has((JSON.parse(line) as { kind: string }).kind));
    const body = [header!, ...records].map((line) => `${line}\n`).join("");
    const { "source-position": _, "next-id": __, ...oldCounts } = current.counts;
    const trailer = { kind: "end", records: records.length, counts: oldCounts, sha256: createHash("sha256").update(body).digest("hex") };
    writeFileSync(join(tmp.dir, "old.jsonl"), `${body}${JSON.stringify(trailer)}\n`);

    const counts = await importFile({ store: { kind: "sqlite", dir: join(tmp.dir, "b") }, file: join(tmp.dir, "old.jsonl") });
    expect(counts).toEqual({ ...current.counts, "source-position": 0, "next-id": 0 });
  });

  it("migrate moves SQLite into PostgreSQL and verifies counts and digest", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const pg = postgresTarget();
    cleanups.push(pg.drop);
    const a = join(tmp.dir, "a");
    await filledSqlite(a, 300);
    const result = await migrate({ from: { kind: "sqlite", dir: a }, to: pg.target });
    expect(result.verified).toEqual(result.exported);
    const again = await exportStore({ store: pg.target, out: join(tmp.dir, "pg.jsonl") });
    expect(again.digest).toBe(result.exported.digest);
    expect(SNAPSHOT_KINDS.every((kind) => again.counts[kind] === result.exported.counts[kind])).toBe(true);
  });

  it("streams in pages: a snapshot read with a page size of 7 holds the same records", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const a = join(tmp.dir, "a");
    await filledSqlite(a, 20);
    const store = new SqliteStore({ dir: a });
    await store.open();
    try {
      const collect = async (pageSize: number) => {
        const records: SnapshotRecord[] = [];
        for await (const r of store.readSnapshot(pageSize)) records.push(r);
        return records;
      };
      expect(await collect(7)).toEqual(await collect(100_000));
      const { lines, done } = exportLines(store, { keyGroups: KEY_GROUPS, source: "test", pageSize: 3 });
      for await (const _ of lines);
      expect((await done).records).toBe((await collect(5)).length);
    } finally {
      await store.close();
    }
  });
});
