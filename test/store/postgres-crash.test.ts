// Durability across a crash of the PostgreSQL server, on a server of its own (the shared test
// server must not go down under the other suites): commits acknowledged before the crash are all
// there after recovery, the one in flight is there entirely or not at all, and the same store
// reconnects by itself.
import { PostgresStore } from "@statefun-ts/store-postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PostgresCluster, startPostgres } from "../setup/postgres-cluster.js";
import { addr, batch, everything, message, range, stateOf, text } from "./helpers.js";

const K = 4;
const ADDRESSES = range(10).map((i) => addr(`a${i}`));
let cluster: PostgresCluster;

beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(async () => {
  await cluster?.stop();
});

describe("PostgresStore across a server crash", () => {
  it("keeps every acknowledged commit, applies the one in flight all or nothing, and reconnects", async () => {
    const store = new PostgresStore({ url: cluster.url, schema: "crash", keyGroups: K, maxConnections: 2 });
    await store.open();
    const fence = { owner: "w", epochs: await store.acquire("w", range(K)) };
    let acked = 0;
    let attempted = 0;
    let failure: unknown;
    const commitN = (n: number) =>
      store.commit(
        batch(fence, {
          consumed: n > 1 ? [n - 1] : [],
          messages: [message(n, n % K)],
          state: ADDRESSES.map((address) => ({ address, keyGroup: 0, name: "n", value: text(String(n)) })),
        }),
      );
    let reached = () => {};
    const twenty = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const loop = (async () => {
      try {
        for (let n = 1; ; n++) {
          attempted = n;
          await commitN(n);
          acked = n;
          if (n === 20) reached();
        }
      } catch (error) {
        failure = error;
        reached();
      }
    })();
    await twenty;
    await cluster.crash();
    await loop;
    expect(failure).toBeInstanceOf(Error);
    expect(acked).toBeGreaterThanOrEqual(20);

    await cluster.restart();
    // The same store, its connections broken by the crash, reconnects on the next call.
    const values = new Set<string>();
    for (const address of ADDRESSES) {
      const state = await stateOf(store, address);
      expect(state).toHaveLength(1);
      values.add(new TextDecoder().decode(state[0]!.value.value));
    }
    expect(values.size).toBe(1);
    const last = Number([...values][0]);
    expect([acked, attempted]).toContain(last);
    expect((await everything(store, K)).messages.map((m) => m.seq)).toEqual([last]);

    await commitN(last + 1);
    await store.close();
    const reopened = new PostgresStore({ url: cluster.url, schema: "crash" });
    expect(await reopened.open()).toEqual({ keyGroups: K, shared: true });
    expect((await everything(reopened, K)).messages.map((m) => m.seq)).toEqual([last + 1]);
    expect(await reopened.allocateSeqs(1)).toBeGreaterThan(last + 1);
    await reopened.close();
  });
});
