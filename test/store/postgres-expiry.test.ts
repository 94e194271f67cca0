// Expiry in the PostgreSQL store beyond the conformance suite: the query plans that keep the
// sweeper's reads and drops independent of the amount of state, and drops that depend on each other.
import { INSTANCE_ROW, type StateDrop, type StateWrite, type Store } from "@statefun-ts/runtime/spi";
import { MemoryStore } from "@statefun-ts/runtime/testing";
import { PostgresStore } from "@statefun-ts/store-postgres";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DROP_SQL } from "../../packages/store-postgres/src/drops.js";
import { SQL } from "../../packages/store-postgres/src/statements.js";
import { adminQuery, dropSchema, testPostgresUrl, uniqueSchema } from "../setup/postgres-env.js";
import { addr, batch, message, range, stateOf, stateWrite as write } from "./helpers.js";

const KEY_GROUPS = 4;
const schema = uniqueSchema("expiry");
let store: PostgresStore;
let fence: { owner: string; epochs: Map<number, number> };

beforeAll(async () => {
  store = new PostgresStore({ url: testPostgresUrl(), schema, keyGroups: KEY_GROUPS, maxConnections: 2 });
  await store.open();
  fence = { owner: "w", epochs: await store.acquire("w", range(KEY_GROUPS)) };
});
afterAll(async () => {
  await store.close();
  await dropSchema(schema);
});

/** The plan PostgreSQL uses for `statement` in the store's sessions (generic plans, the store's schema). */
async function genericPlan(statement: { text: string }, values: unknown[]): Promise<string> {
  const client = new pg.Client({ connectionString: testPostgresUrl() });
  await client.connect();
  try {
    await client.query(`SET search_path = ${schema}; SET plan_cache_mode = force_generic_plan`);
    await client.query(`PREPARE planned AS ${statement.text}`);
    const literals = values.map((v) => (typeof v === "number" ? String(v) : `'${String(v)}'`)).join(", ");
    const { rows } = await client.query<{ "QUERY PLAN": string }>(`EXPLAIN EXECUTE planned(${literals})`);
    return rows.map((r) => r["QUERY PLAN"]).join("\n");
  } finally {
    await client.end();
  }
}

describe("PostgresStore expiry", () => {
  it("reads expired state and drops it through indexes, never scanning the state table", async () => {
    // Much state that never expires, some that expires later, a few rows expired.
    const rows: StateWrite[] = range(20_000).map((i) => ({ ...write(`p${i}`, "v"), keyGroup: i % KEY_GROUPS }));
    for (let i = 0; i < 2_000; i++) rows.push({ ...write(`f${i}`, "v", 1_000_000 + i), keyGroup: i % KEY_GROUPS });
    for (let i = 0; i < 50; i++) rows.push({ ...write(`e${i}`, "v", 10 + i), keyGroup: i % KEY_GROUPS });
    await store.commit(batch(fence, { state: rows }));
    // With the statistics of a fresh table and with those of ANALYZE.
    for (const analyze of [false, true]) {
      if (analyze) await adminQuery(`ANALYZE ${schema}.state`);
      const plan = await genericPlan(SQL.expiredState, [100, "{1,3}", 10]);
      expect(plan).toContain("state_expiry");
      expect(plan).not.toMatch(/Seq Scan on state/);
    }

    const expired = await store.expiredState([1, 3], 100, 10);
    expect(expired.map((r) => r.address.id)).toEqual(["e1", "e3", "e5", "e7", "e9", "e11", "e13", "e15", "e17", "e19"]);
    expect(expired.every((r) => r.keyGroup === 1 || r.keyGroup === 3)).toBe(true);

    const drop = await genericPlan(DROP_SQL, ["{a}", "{b}", "{c}", "{d}", "{1}"]);
    expect(drop).toContain("state_pkey");
    expect(drop).not.toMatch(/Seq Scan on state/);

    await store.commit(
      batch(fence, { drops: expired.map((r) => ({ address: r.address, keyGroup: r.keyGroup, name: r.name, expiredBy: 100 })) }),
    );
    expect((await store.expiredState(range(KEY_GROUPS), 100, 100)).map((r) => r.address.id)).toEqual(
      range(50)
        .filter((i) => i % 2 === 0 || i > 19)
        .map((i) => `e${i}`),
    );
  });

  it("applies the drops of a commit in order, as the in-memory store does, where one depends on another", async () => {
    const memory = new MemoryStore(KEY_GROUPS);
    await memory.open();
    const memoryFence = { owner: "w", epochs: await memory.acquire("w", range(KEY_GROUPS)) };
    const setup = ["a", "b", "c", "d"].flatMap((id) => [write(id, INSTANCE_ROW, 100), write(id, "v"), write(id, "w", 100)]);
    const row = (id: string, name: string, expiredBy?: number): StateDrop => ({ address: addr(id), keyGroup: 1, name, expiredBy });
    const instance = (id: string, expiredBy?: number): StateDrop => ({ address: addr(id), keyGroup: 1, expiredBy });
    const drops: StateDrop[] = [
      // The instance row goes first: the instance then no longer counts as expired.
      row("a", INSTANCE_ROW),
      instance("a", 200),
      // The instance goes first: the drop of its row then finds nothing.
      instance("b", 200),
      row("b", INSTANCE_ROW),
      // Not expired by 50, then expired by 200; and a row dropped after its instance was.
      instance("c", 50),
      row("c", "w", 200),
      instance("c", 200),
      row("c", "v"),
      // One row expired, one not, then the instance row unconditionally, then the instance by its (gone) row.
      row("d", "w", 200),
      row("d", "v", 200),
      row("d", INSTANCE_ROW),
      instance("d", 200),
    ];
    const states = async (s: Store) => Promise.all(["a", "b", "c", "d"].map(async (id) => stateOf(s, addr(id))));
    for (const [s, f] of [
      [store, fence],
      [memory, memoryFence],
    ] as const) {
      await s.commit(batch(f, { state: setup }));
      await s.commit(batch(f, { drops, state: [write("a", "new")] }));
    }
    const expected = await states(memory);
    expect(expected.map((list) => list.map((e) => e.name))).toEqual([["new", "v", "w"], [], [], ["v"]]);
    expect(await states(store)).toEqual(expected);
    await memory.close();
  });

  it("rolls the drops back when the rest of the commit fails, and the connection serves the next commit", async () => {
    await store.commit(batch(fence, { state: [write("r", INSTANCE_ROW, 100), write("r", "v")], messages: [message(900, 1)] }));
    const failing = batch(fence, { drops: [{ address: addr("r"), keyGroup: 1, expiredBy: 200 }], messages: [message(900, 1)] });
    await expect(store.commit(failing)).rejects.toMatchObject({ code: "23505" });
    expect((await stateOf(store, addr("r"))).map((e) => e.name)).toEqual([INSTANCE_ROW, "v"]);
    for (let i = 0; i < 3; i++) await store.commit(batch(fence, { drops: [{ address: addr("r"), keyGroup: 1, expiredBy: 200 }] }));
    expect(await stateOf(store, addr("r"))).toEqual([]);
  });
});
