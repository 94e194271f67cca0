// Fencing between workers that share one PostgreSQL database: each worker is a PostgresStore of
// its own (its own pool of connections) on the same schema.
import { StatefunError } from "@statefun-ts/protocol";
import type { Fence } from "@statefun-ts/runtime/spi";
import { migrations, PostgresStore } from "@statefun-ts/store-postgres";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dropSchema, testPostgresUrl, uniqueSchema } from "../setup/postgres-env.js";
import { addr, batch, everything, message, range, stateOf, text } from "./helpers.js";

const K = 8;
let schema: string;
let one: PostgresStore;
let two: PostgresStore;
let raw: pg.Client;
/** Watches pg_stat_activity; not `raw`, whose open transactions would see one snapshot of it. */
let watcher: pg.Client;

beforeEach(async () => {
  schema = uniqueSchema("fence");
  // Sessions named after the schema, so that the lock watch below sees only this test's.
  const pool = { connectionString: testPostgresUrl(), application_name: schema };
  one = new PostgresStore({ pool, schema, keyGroups: K, maxConnections: 2 });
  two = new PostgresStore({ pool, schema, keyGroups: K, maxConnections: 2 });
  await Promise.all([one.open(), two.open()]);
  raw = new pg.Client({ connectionString: testPostgresUrl(), application_name: "fence-test" });
  await raw.connect();
  await raw.query(`SET search_path = ${schema}`);
  watcher = new pg.Client({ connectionString: testPostgresUrl(), application_name: "fence-test" });
  await watcher.connect();
});

afterEach(async () => {
  await raw.end();
  await watcher.end();
  await Promise.all([one.close(), two.close()]);
  await dropSchema(schema);
});

/** Waits until a session of the stores waits for a lock, in a statement on `table` (not a timing check: it polls until it is so). */
async function waitForLockWait(table = "leases"): Promise<void> {
  for (;;) {
    const { rows } = await watcher.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE application_name = $1 AND wait_event_type = 'Lock' AND query ILIKE $2`,
      [schema, `%${table}%`],
    );
    if (rows[0].n > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const counts = async (store: PostgresStore) => ({ ...(await everything(store, K)), state: await stateOf(store, addr("a")) });

describe("fencing across two workers on one database", () => {
  it("refuses the old owner's commit after the new owner acquired, and writes none of it", async () => {
    const fence: Fence = { owner: "worker-1", epochs: await one.acquire("worker-1", range(K)) };
    await one.commit(
      batch(fence, { messages: [message(1, 3)], state: [{ address: addr("a"), keyGroup: 3, name: "n", value: text("1") }] }),
    );
    expect(await two.acquire("worker-2", [3])).toEqual(new Map([[3, 2]]));
    const before = await counts(two);

    const late = batch(fence, {
      consumed: [1],
      messages: [message(2, 3), message(3, 4)],
      state: [{ address: addr("a"), keyGroup: 3, name: "n", value: text("2") }],
      egress: [{ egress: "e", topic: "t", argument: text("x"), createdAt: 1 }],
    });
    const error = await one.commit(late).catch((e: unknown) => e);
    expect(StatefunError.is(error)).toBe(true);
    expect(error).toMatchObject({ code: "STATEFUN_FENCED" });
    expect((error as Error).message).toMatch(/key group 3 is held by worker-2 at epoch 2, not by worker-1 at epoch 1/);
    expect(await counts(two)).toEqual(before);
    expect(await two.peekEgress("t", 10)).toEqual([]);

    // The old owner still commits to the key groups it kept; the new one to what it took.
    await one.commit(batch(fence, { touchedKeyGroups: new Set([4]), messages: [message(4, 4)] }));
    const fence2: Fence = { owner: "worker-2", epochs: new Map([[3, 2]]) };
    await two.commit(batch(fence2, { consumed: [1], state: [{ address: addr("a"), keyGroup: 3, name: "n", value: text("3") }] }));
    expect((await everything(one, K)).messages.map((m) => m.seq)).toEqual([4]);
    expect(await stateOf(one, addr("a"))).toEqual([{ name: "n", value: text("3") }]);
  });

  it("makes an acquire wait for a commit in flight, which therefore lands before the new owner starts", async () => {
    const fence: Fence = { owner: "worker-1", epochs: await one.acquire("worker-1", range(K)) };
    // A commit in flight: its transaction has share-locked the lease of key group 3, as commit does first.
    await raw.query("BEGIN");
    await raw.query("SELECT * FROM leases WHERE key_group = 3 FOR SHARE");
    const acquired = two.acquire("worker-2", [3]);
    await waitForLockWait();
    await raw.query("COMMIT");
    expect(await acquired).toEqual(new Map([[3, 2]]));
    await expect(one.commit(batch(fence, { messages: [message(1, 3)] }))).rejects.toMatchObject({ code: "STATEFUN_FENCED" });
  });

  it("fences a commit that waited for an acquire in flight (it reads the committed epoch, not its snapshot's)", async () => {
    const fence: Fence = { owner: "worker-1", epochs: await one.acquire("worker-1", range(K)) };
    // An acquire in flight: its transaction has raised the epoch of key group 3 but not committed yet.
    await raw.query("BEGIN");
    await raw.query("UPDATE leases SET owner = 'worker-2', epoch = epoch + 1 WHERE key_group = 3");
    const committing = one.commit(batch(fence, { messages: [message(1, 3), message(2, 5)] })).catch((e: unknown) => e);
    await waitForLockWait();
    await raw.query("COMMIT");
    expect(await committing).toMatchObject({ code: "STATEFUN_FENCED" });
    expect((await everything(two, K)).messages).toEqual([]);
  });

  it("lets a commit through when the acquire in flight rolls back", async () => {
    const fence: Fence = { owner: "worker-1", epochs: await one.acquire("worker-1", range(K)) };
    await raw.query("BEGIN");
    await raw.query("UPDATE leases SET owner = 'worker-2', epoch = epoch + 1 WHERE key_group = 3");
    const committing = one.commit(batch(fence, { messages: [message(1, 3)] }));
    await waitForLockWait();
    await raw.query("ROLLBACK");
    await committing;
    expect((await everything(two, K)).messages.map((m) => m.seq)).toEqual([1]);
  });

  it("reports an idempotency key that another worker records at the same time as a duplicate, with its request id", async () => {
    const fence: Fence = { owner: "worker-1", epochs: await one.acquire("worker-1", range(K)) };
    const ingress = (seq: number, requestId: string) => ({ ...message(seq, 0), requestId, idempotencyKey: "k" });
    await raw.query("BEGIN");
    await raw.query("INSERT INTO idempotency_keys (key, request_id, created_at) VALUES ('k', 'theirs', 1)");
    const committing = one.commit(batch(fence, { ingress: [ingress(1, "mine")] }));
    await waitForLockWait("idempotency_keys");
    await raw.query("COMMIT");
    expect((await committing).duplicates).toEqual(new Map([["k", "theirs"]]));
    expect((await everything(two, K)).messages).toEqual([]);

    // And when the other transaction rolls back, the key and the message are this commit's.
    await raw.query("BEGIN");
    await raw.query("INSERT INTO idempotency_keys (key, request_id, created_at) VALUES ('k2', 'theirs', 1)");
    const second = one.commit(batch(fence, { ingress: [{ ...ingress(2, "mine"), idempotencyKey: "k2" }] }));
    await waitForLockWait("idempotency_keys");
    await raw.query("ROLLBACK");
    expect((await second).duplicates).toEqual(new Map());
    expect((await everything(two, K)).messages.map((m) => m.seq)).toEqual([2]);
  });

  it("hands out sequence numbers that never collide between workers", async () => {
    const firsts = await Promise.all(range(20).map((i) => (i % 2 === 0 ? one : two).allocateSeqs(10)));
    const all = firsts.flatMap((first) => range(10).map((i) => first + i));
    expect(new Set(all).size).toBe(200);
  });

  it("migrates a new schema once when several workers open it at the same time", async () => {
    const fresh = uniqueSchema("race");
    const stores = range(4).map(() => new PostgresStore({ url: testPostgresUrl(), schema: fresh, keyGroups: 5, maxConnections: 1 }));
    try {
      expect(await Promise.all(stores.map((s) => s.open()))).toEqual(range(4).map(() => ({ keyGroups: 5, shared: true })));
      const { rows } = await raw.query(`SELECT version FROM ${fresh}.schema_migrations ORDER BY version`);
      expect(rows).toEqual(migrations.map((m) => ({ version: m.version })));
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await dropSchema(fresh);
    }
  });
});
