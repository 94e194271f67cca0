/** The store reads of the console (`ConsoleReads`): instances of a type, paged, and egress depth per topic, on every store. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Store } from "@statefun-ts/runtime";
import { MemoryStore } from "@statefun-ts/runtime/testing";
import { PostgresStore } from "@statefun-ts/store-postgres";
import { SqliteStore } from "@statefun-ts/store-sqlite";
import { describe, expect, it } from "vitest";
import { dropSchema, testPostgresUrl, uniqueSchema } from "../setup/postgres-env.js";
import { addr, batch, range, stateWrite, text } from "../store/helpers.js";

const stores: [string, () => { store: Store; cleanup: () => Promise<void> }][] = [
  ["memory", () => ({ store: new MemoryStore(4), cleanup: async () => {} })],
  [
    "sqlite",
    () => {
      const dir = mkdtempSync(join(tmpdir(), "statefun-console-reads-"));
      return { store: new SqliteStore({ dir, keyGroups: 4 }), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  ],
  [
    "postgres",
    () => {
      const schema = uniqueSchema();
      return {
        store: new PostgresStore({ url: testPostgresUrl(), schema, keyGroups: 4, maxConnections: 2 }),
        cleanup: () => dropSchema(schema),
      };
    },
  ],
];

describe.each(stores)("ConsoleReads on %s", (_name, make) => {
  it("lists the instances of a type with state, in pages, and counts egress records per topic", async () => {
    const { store, cleanup } = make();
    try {
      await store.open();
      const fence = { owner: "w", epochs: await store.acquire("w", range(4)) };
      const writes = ["b", "a", "d", "c", "e"].flatMap((id) => [stateWrite(id, "x"), stateWrite(id, "y")]);
      const other = { address: addr("zz", "other"), keyGroup: 1, name: "x", value: text("o") };
      const egress = [
        { egress: "e", topic: "t1", argument: text("1"), createdAt: 1 },
        { egress: "e", topic: "t1", argument: text("2"), createdAt: 1 },
        { egress: "e", topic: "t2", argument: text("3"), createdAt: 1 },
      ];
      await store.commit(batch(fence, { state: [...writes, other], egress }));
      const type = { namespace: "test.fns", type: "counter" };
      expect(await store.listInstances(type, undefined, 2)).toEqual(["a", "b"]);
      expect(await store.listInstances(type, "b", 2)).toEqual(["c", "d"]);
      expect(await store.listInstances(type, "d", 2)).toEqual(["e"]);
      expect(await store.listInstances(type, "e", 2)).toEqual([]);
      expect(await store.listInstances({ namespace: "test.fns", type: "other" }, undefined, 10)).toEqual(["zz"]);
      expect(await store.egressDepth()).toEqual(
        new Map([
          ["t1", 2],
          ["t2", 1],
        ]),
      );
    } finally {
      await store.close();
      await cleanup();
    }
  });
});
