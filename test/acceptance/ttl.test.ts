import { join } from "node:path";
import { until } from "@statefun-ts/test-kit";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePortOffset } from "../e2e/verifier/process.js";
import { Worker } from "./worker.js";

// Instance TTL on an embedded function, with a real worker (the CLI as a child process) on a real
// SQLite file: an idle instance disappears from GET /v1/state, then from storage.
let worker: Worker;

beforeAll(async () => {
  worker = new Worker(["test/acceptance/fixtures/ttl-module.ts"], await freePortOffset());
  await worker.start();
}, 60_000);
afterAll(() => worker.dispose());

const send = (id: string, text: string) => fetch(worker.url("ingress", `/acceptance.ttl/visitor/${id}`), { method: "PUT", body: text });
const state = async (id: string) => {
  const response = await fetch(worker.url("admin", `/v1/state/acceptance.ttl/visitor/${id}`));
  expect(response.status).toBe(200);
  return ((await response.json()) as { state: { name: string; value: unknown }[] }).state;
};
const metric = async (name: string) =>
  Number(new RegExp(`^${name} (\\S+)$`, "m").exec(await (await fetch(worker.url("admin", "/metrics"))).text())?.[1] ?? 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const waitFor = (what: string, check: () => Promise<boolean>) =>
  until(check, what, { timeoutMs: 20_000, intervalMs: 50, explain: () => worker.log });

describe("instance time-to-live, end to end", () => {
  it("drops an idle instance of an embedded function (instanceTtl: 1s) from GET /v1/state and from the SQLite file", async () => {
    expect((await send("ann", "hello")).status).toBe(202);
    expect((await send("bob", "hi")).status).toBe(202);
    await waitFor("both visits", async () => (await state("ann")).length === 2 && (await state("bob")).length === 2);
    expect(await state("ann")).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "seen", value: 1 }),
        expect.objectContaining({ name: "note", value: "hello" }),
      ]),
    );

    await sleep(1500);
    expect(await state("ann")).toEqual([]);
    expect(await state("bob")).toEqual([]);
    await waitFor("the sweeper", async () => (await metric("statefun_instances_expired_total")) >= 2);

    // A new message finds a fresh instance.
    expect((await send("bob", "again")).status).toBe(202);
    await waitFor("bob's new visit", async () => (await state("bob")).length === 2);
    expect(await state("bob")).toEqual(expect.arrayContaining([expect.objectContaining({ name: "seen", value: 1 })]));

    await worker.kill();
    const db = new Database(join(worker.dataDir, "statefun.db"), { readonly: true });
    try {
      const rows = db.prepare("SELECT id, name FROM state WHERE namespace = 'acceptance.ttl' ORDER BY id, name").raw().all();
      // Bob's new instance: its values and its instance row. Nothing of Ann.
      expect(rows).toEqual([
        ["bob", "[instance]"],
        ["bob", "note"],
        ["bob", "seen"],
      ]);
    } finally {
      db.close();
    }
  });
});
