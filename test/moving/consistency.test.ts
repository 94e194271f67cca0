// An export of a PostgreSQL store while a worker commits reads one snapshot: rows committed
// together are exported together or not at all. And the admin API's backup route: absent for a
// store without one, JSON errors.
import { keyGroupOf } from "@statefun-ts/protocol";
import type { SnapshotRecord } from "@statefun-ts/runtime/spi";
import { storeFromUrl } from "@statefun-ts/store-postgres";
import { describe, expect, it } from "vitest";
import { adminApp } from "../../packages/server/src/http/admin.js";
import { addr, batch, range, text } from "../store/helpers.js";
import { postgresTarget } from "./helpers.js";

describe("consistent snapshots", () => {
  it("an export of PostgreSQL while commits go on holds each commit whole or not at all", async () => {
    const pg = postgresTarget();
    const store = storeFromUrl(pg.url, { keyGroups: 8 });
    await store.open();
    try {
      const fence = { owner: "w", epochs: await store.acquire("w", range(8)) };
      const pair = (i: number) =>
        ["x", "y"].map((side) => ({
          address: addr(`${side}-${i}`),
          keyGroup: keyGroupOf(`${side}-${i}`, 8),
          name: "v",
          value: text(`${i}`),
        }));
      for (let i = 0; i < 50; i++) await store.commit(batch(fence, { state: pair(i) }));
      let stop = false;
      let committed = 50;
      const writer = (async () => {
        while (!stop) {
          await store.commit(
            batch(fence, { state: pair(committed), egress: [{ egress: "e", topic: "t", argument: text("r"), createdAt: 1 }] }),
          );
          committed++;
        }
      })();
      const records: SnapshotRecord[] = [];
      for await (const record of store.readSnapshot(3)) {
        records.push(record);
        if (records.length % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      stop = true;
      await writer;
      expect(committed).toBeGreaterThan(60);
      const ids = new Set(records.flatMap((r) => (r.kind === "state" ? [r.address.id] : [])));
      const pairs = [...ids].map((id) => id.slice(2));
      for (const i of pairs) expect(ids.has(`x-${i}`) && ids.has(`y-${i}`), `pair ${i} exported half`).toBe(true);
      // Every pair written before the snapshot's commit is in it, with as many egress records as pairs after the first 50.
      const egress = records.filter((r) => r.kind === "egress").length;
      expect(ids.size / 2).toBe(50 + egress);
      expect(ids.size / 2).toBeLessThan(committed + 1);
    } finally {
      await store.close();
      await pg.drop();
    }
  });

  it("POST /v1/backup: 404 JSON when the store has no online backup, the error as JSON when it fails", async () => {
    // The backup route uses no part of the runtime.
    const runtime = {} as Parameters<typeof adminApp>[0];
    const none = adminApp(runtime);
    const missing = await none.inject({ method: "POST", url: "/v1/backup" });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: expect.any(String), error: expect.any(String) });
    const failing = adminApp(runtime, {
      backup: async () => {
        throw new Error("disk full");
      },
    });
    const failed = await failing.inject({ method: "POST", url: "/v1/backup" });
    expect(failed.statusCode).toBe(500);
    expect(failed.json()).toMatchObject({ error: expect.stringContaining("disk full") });
  });
});
