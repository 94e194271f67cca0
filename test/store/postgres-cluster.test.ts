// Cluster semantics of the PostgreSQL store under real concurrency: several workers (each a
// PostgresStore with its own pool) on one schema of the test server.
import type { Fence, StoreChange, StoredMessage } from "@statefun-ts/runtime/spi";
import { PostgresStore } from "@statefun-ts/store-postgres";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { dropSchema, testPostgresUrl, uniqueSchema } from "../setup/postgres-env.js";
import { batch, message, range, seqs, text } from "./helpers.js";

const K = 6;
const HOUR = 3_600_000;
let schema: string;
let workers: PostgresStore[];
let raw: pg.Client;

beforeEach(async () => {
  schema = uniqueSchema("cluster");
  // Sessions named after the schema, so that a test can find this test's sessions only.
  const pool = { connectionString: testPostgresUrl(), application_name: schema };
  workers = range(3).map(() => new PostgresStore({ pool, schema, keyGroups: K, maxConnections: 3 }));
  for (const w of workers) await w.open();
  raw = new pg.Client({ connectionString: testPostgresUrl(), application_name: "cluster-test" });
  await raw.connect();
  await raw.query(`SET search_path = ${schema}`);
});

afterEach(async () => {
  await raw.end();
  await Promise.all(workers.map((w) => w.close()));
  await dropSchema(schema);
});

const worker = (i: number) => workers[i]!;

/** Reads every page from `position` until a short page; returns what it read and where it ended. */
async function drain(store: PostgresStore, position: number, limit = 5): Promise<{ messages: StoredMessage[]; next: number }> {
  const messages: StoredMessage[] = [];
  for (;;) {
    const page = await store.loadMessagesSince(range(K), position, limit);
    expect(page.next).toBeGreaterThanOrEqual(position);
    messages.push(...page.messages);
    position = page.next;
    if (page.messages.length < limit) return { messages, next: position };
  }
}

describe("loadMessagesSince with several writers", () => {
  it("holds the position below a commit still running, so a commit that ends later is never skipped", async () => {
    const fence: Fence = { owner: "worker-1", epochs: await worker(0).acquire("worker-1", range(K)) };
    const [early, late] = [await worker(0).allocateSeqs(1), await worker(0).allocateSeqs(1)];
    // A commit of another worker that has written its message and not committed yet.
    await raw.query("BEGIN");
    await raw.query(
      `INSERT INTO messages (seq, key_group, target_namespace, target_type, target_id, typename, value)
       VALUES ($1, 1, 'test.fns', 'counter', 'slow', 'test.types/text', '\\x00')`,
      [early],
    );
    const { rows } = await raw.query("SELECT pg_current_xact_id()::text AS tx");
    const slow = Number(rows[0].tx);
    await worker(1).commit(batch(fence, { messages: [message(late, 2)] }));
    const first = await worker(2).loadMessagesSince(range(K), 0, 100);
    expect(first.messages).toEqual([]);
    expect(first.next).toBeLessThan(slow);
    await raw.query("COMMIT");
    const second = await drain(worker(2), first.next);
    // In position order: the transaction that started writing first comes first.
    expect(seqs(second.messages)).toEqual([early, late]);
    expect(await worker(2).loadMessagesSince(range(K), second.next, 100)).toEqual({ messages: [], next: second.next });
  });

  it("gives a reader following positions every message of three concurrent committers once, each worker's in its order", async () => {
    const fences = await Promise.all(
      range(3).map(async (i) => ({ owner: `worker-${i}`, epochs: await worker(i).acquire(`worker-${i}`, [i, i + 3]) })),
    );
    const committed: number[][] = [[], [], []];
    let done = false;
    const commitAll = async (i: number) => {
      for (let c = 0; c < 40; c++) {
        const n = 1 + ((c * 7 + i) % 4);
        const first = await worker(i).allocateSeqs(n);
        const messages = range(n).map((j) => message(first + j, (c + j + i) % K));
        await worker(i).commit(batch(fences[i]!, { messages }));
        committed[i]!.push(...seqs(messages));
      }
    };
    const read: StoredMessage[] = [];
    let position = 0;
    const follow = async () => {
      while (!done) {
        const page = await worker(0).loadMessagesSince(range(K), position, 7);
        expect(page.next).toBeGreaterThanOrEqual(position);
        read.push(...page.messages);
        position = page.next;
      }
    };
    const reader = follow();
    await Promise.all(range(3).map(commitAll));
    done = true;
    await reader;
    read.push(...(await drain(worker(1), position)).messages);

    const all = committed.flat();
    expect(all).toHaveLength(3 * 40 * 2.5);
    expect(new Set(seqs(read)).size).toBe(read.length);
    expect(seqs(read).sort((a, b) => a - b)).toEqual([...all].sort((a, b) => a - b));
    for (const mine of committed) {
      const set = new Set(mine);
      expect(seqs(read).filter((s) => set.has(s))).toEqual(mine);
    }
  });
});

describe("claims between workers", () => {
  it("gives each free key group to exactly one of several live workers claiming at once", async () => {
    for (const [i, w] of workers.entries()) await w.heartbeat(`worker-${i}`, HOUR);
    const taken = await Promise.all(workers.map((w, i) => w.claim(`worker-${i}`, range(K))));
    const owners = range(K).map((kg) => taken.filter((t) => t.has(kg)).length);
    expect(owners).toEqual(range(K).map(() => 1));
    for (const t of taken) for (const epoch of t.values()) expect(epoch).toBe(1);
    const view = await worker(0).heartbeat("worker-0", HOUR);
    expect(view.members).toEqual(["worker-0", "worker-1", "worker-2"]);
    for (const kg of range(K)) expect(taken[workers.findIndex((_, i) => taken[i]!.has(kg))]!.get(kg)).toBe(view.leases.get(kg)!.epoch);
  });

  it("hands each egress record to one claimant of several at once", async () => {
    const fence: Fence = { owner: "w", epochs: await worker(0).acquire("w", range(K)) };
    const egress = range(20).map((n) => ({ egress: "e", topic: "t", argument: text(`r${n}`), createdAt: n }));
    await worker(0).commit(batch(fence, { egress }));
    const claims = await Promise.all(range(30).map((n) => worker(n % 3).claimEgress("t", `claimant-${n}`, HOUR)));
    const ids = claims.flatMap((c) => (c === undefined ? [] : [c.id]));
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
    expect(await worker(1).claimEgress("t", "late", HOUR)).toBeUndefined();
  });
});

describe("module catalog and bad input", () => {
  it("raises the module catalog version once per change, whichever worker changes it at once", async () => {
    const versions = await Promise.all(
      range(12).map((n) =>
        worker(n % 3).changeModuleCatalog({ kind: "module", name: `m${n % 4}`, body: n % 5 === 0 ? null : `body ${n}` }),
      ),
    );
    expect([...versions].sort((a, b) => a - b)).toEqual(range(12).map((n) => n + 1));
    expect((await worker(1).loadModuleCatalog()).version).toBe(12);
  });

  it("names a bad lease duration", async () => {
    await expect(worker(0).heartbeat("w", Number.NaN)).rejects.toThrow(/heartbeat needs a leaseMs >= 0 .* got NaN/);
    await expect(worker(0).claimEgress("t", "w", -1)).rejects.toMatchObject({ code: "STATEFUN_BAD_CONFIG" });
  });
});

describe("watch", () => {
  it("announces other workers' commits once committed, never a fenced one, leaves out lists too long, and hears again after its connection is cut", async () => {
    const changes: StoreChange[] = [];
    const stop = worker(0).watch((change) => changes.push(change));
    try {
      const fence: Fence = { owner: "worker-2", epochs: await worker(1).acquire("worker-2", range(K)) };
      // Committed by worker(0), so the watch is listening before the commits below (see PostgresStore.commit).
      await worker(0).commit(batch({ owner: "worker-0", epochs: new Map() }, { touchedKeyGroups: new Set() }));
      const stale = { owner: "worker-2", epochs: new Map([[5, 99]]) };
      await expect(worker(1).commit(batch(stale, { messages: [message(1, 5)] }))).rejects.toMatchObject({ code: "STATEFUN_FENCED" });
      await worker(1).commit(batch(fence, { messages: [message(2, 2), message(3, 4, { dueAt: 10 })] }));
      await vi.waitFor(() => expect(changes).toHaveLength(1));
      expect(changes[0]).toEqual({ origin: "worker-2", messages: [2], timers: [4], replies: [] });

      // 400 request ids of 40 characters do not fit in a notification: the list is left out.
      const replies = range(400).map((n) => ({ requestId: `request-${String(n).padStart(32, "0")}`, argument: text("ok") }));
      await worker(1).commit(batch(fence, { messages: [message(4, 1)], replies }));
      await vi.waitFor(() => expect(changes).toHaveLength(2));
      expect(changes[1]).toEqual({ origin: "worker-2", messages: [1], timers: [] });

      const cut = await raw.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND query ILIKE 'LISTEN%'",
        [schema],
      );
      expect(cut.rowCount).toBe(1);
      // Reconnected: it tells to check everything (commits may have been missed), then hears again.
      await vi.waitFor(() => expect(changes).toContainEqual({}), { timeout: 5_000 });
      await worker(1).commit(batch(fence, { messages: [message(5, 3)] }));
      await vi.waitFor(() => expect(changes.at(-1)).toEqual({ origin: "worker-2", messages: [3], timers: [], replies: [] }));
    } finally {
      stop();
    }
  });
});
