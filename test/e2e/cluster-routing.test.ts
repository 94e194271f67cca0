/**
 * Cluster mode across processes (issue 6, part 3) on real PostgreSQL: three `statefun run`
 * workers with the example modules. A `?await` request entering at a worker that does not own
 * the target gets the owner's reply; the playground egress topic is consumed from every worker,
 * each record once; a function binding put through one worker's admin API reaches the others
 * (and its removal too); and `GET /v1/cluster` shows an even split that moves when a worker
 * leaves.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { keyGroupOf } from "@statefun-ts/protocol";
import { eventually } from "@statefun-ts/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dropSchema, testPostgresUrl, uniqueSchema } from "../setup/postgres-env.js";
import { KEY_GROUPS, settledStatuses, withSchema } from "./cluster/workers.js";
import { CLI, freePortOffset, killAllWorkers, REPO_ROOT, WorkerProcess } from "./verifier/process.js";

const dir = mkdtempSync(join(tmpdir(), "statefun-e2e-cluster-routing-"));
const schema = uniqueSchema("e2e_routing");
const modules = ["examples/greeter/module.ts", "examples/shopping-cart/module.ts"].map((m) => resolve(REPO_ROOT, m));
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  expect(existsSync(CLI), `build first (npm run build): ${CLI}`).toBe(true);
  const store = withSchema(testPostgresUrl(), schema);
  for (let i = 0; i < 3; i++) {
    const portOffset = await freePortOffset();
    const args = [CLI, "run", ...modules, "--store", store, "--port-offset", String(portOffset), "--worker-name", `routing-${i}`];
    workers.push(new WorkerProcess({ args, portOffset, logFile: join(dir, `worker-${i}.log`) }));
  }
  for (const worker of workers) await worker.start();
}, 90_000);

afterAll(async () => {
  await killAllWorkers();
  rmSync(dir, { recursive: true, force: true });
  await dropSchema(schema);
});

const admins = () => workers.map((w) => w.urls.admin);

async function put(url: string, type: string, body: unknown): Promise<Response> {
  return fetch(url, { method: "PUT", headers: { "content-type": `application/vnd.${type}` }, body: JSON.stringify(body) });
}

/** Runs `check` until it passes or `timeoutMs` elapses (then its last failure is thrown). */
describe("cluster of three worker processes on PostgreSQL", () => {
  it("splits the key groups evenly and names each worker", async () => {
    const statuses = await settledStatuses(admins());
    expect(statuses.map((s) => s.worker)).toEqual(["routing-0", "routing-1", "routing-2"]);
    const sizes = statuses.map((s) => s.keyGroups.length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(KEY_GROUPS);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    const metrics = await (await fetch(`${workers[0]!.urls.admin}/metrics`)).text();
    expect(metrics).toContain(`statefun_owned_key_groups{worker="routing-0"} ${sizes[0]}`);
  });

  it("answers ?await request-reply entering at a worker that does not own the target", async () => {
    const statuses = await settledStatuses(admins());
    const ownerOf = (id: string) => statuses.findIndex((s) => s.keyGroups.includes(keyGroupOf(id, KEY_GROUPS)));
    // One item per entry worker, each owned by another worker.
    for (let entry = 0; entry < 3; entry++) {
      const item = Array.from({ length: 200 }, (_, n) => `item-${entry}-${n}`).find((id) => ownerOf(id) !== entry)!;
      const owner = ownerOf(item);
      expect(owner).not.toBe(entry);
      const restock = await put(`${workers[owner]!.urls.ingress}/com.example/stock/${item}`, "com.example/RestockItem", {
        itemId: item,
        quantity: 5,
      });
      expect([200, 202]).toContain(restock.status);
      const response = await fetch(`${workers[entry]!.urls.ingress}/com.example/stock/${item}?await=10s`, {
        method: "POST",
        headers: { "content-type": "application/vnd.com.example/RequestItem" },
        body: JSON.stringify({ quantity: 2 }),
      });
      expect(response.status, await response.clone().text()).toBe(200);
      expect(await response.json()).toEqual({ status: "INSTOCK", quantity: 2 });
    }
  });

  it("hands each egress record to one consumer, whichever worker it asks", async () => {
    const names = Array.from({ length: 30 }, (_, i) => `guest-${i}`);
    for (const [i, name] of names.entries()) {
      const response = await put(`${workers[i % 3]!.urls.ingress}/example/person/${name}`, "example/GreetRequest", { name });
      expect([200, 202]).toContain(response.status);
    }
    const records: string[] = [];
    await eventually(async () => {
      for (const worker of workers) {
        for (;;) {
          const response = await fetch(`${worker.urls.egress}/greetings`);
          if (response.status === 404) break;
          expect(response.status).toBe(200);
          records.push(await response.text());
        }
      }
      expect(records.length).toBeGreaterThanOrEqual(names.length);
    });
    expect(records.length).toBe(names.length);
    for (const name of names) expect(records.filter((r) => r.includes(`${name}!`) || r.includes(`${name}.`))).toHaveLength(1);
  });

  it("spreads a function binding put through one worker's admin API to the others, and its removal", async () => {
    const path = "/v1/functions/cluster.test/echo";
    const binding = { kind: "remote", url: "http://127.0.0.1:9/{function.name}" };
    const response = await fetch(`${workers[0]!.urls.admin}${path}`, { method: "PUT", body: JSON.stringify(binding) });
    expect(response.status, await response.clone().text()).toBe(200);
    const putAt = Date.now();
    await eventually(async () => {
      for (const worker of workers.slice(1)) {
        const got = await fetch(`${worker.urls.admin}${path}`);
        expect(got.status).toBe(200);
        expect(((await got.json()) as { binding: unknown }).binding).toMatchObject(binding);
      }
    });
    console.log(`the binding reached the two other workers ${Date.now() - putAt} ms after the PUT`);
    expect((await fetch(`${workers[2]!.urls.admin}${path}`, { method: "DELETE" })).status).toBe(200);
    await eventually(async () => {
      for (const worker of workers.slice(0, 2)) expect((await fetch(`${worker.urls.admin}${path}`)).status).toBe(404);
    });
  });

  it("gives a stopped worker's key groups to the others, and takes a share back when it returns", async () => {
    const leaving = workers[1]!;
    await leaving.kill();
    const two = await settledStatuses([workers[0]!.urls.admin, workers[2]!.urls.admin]);
    expect(two.flatMap((s) => s.keyGroups)).toHaveLength(KEY_GROUPS);
    await leaving.start();
    const three = await settledStatuses(admins());
    expect(new Set(three.flatMap((s) => s.keyGroups)).size).toBe(KEY_GROUPS);
    for (const [i, worker] of workers.entries()) expect(worker.unexpectedExits, `worker ${i}\n${worker.logTail()}`).toEqual([]);
  });
});
