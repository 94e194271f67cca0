/**
 * Time-to-live with the official StateFun Python SDK (apache-flink-statefun 3.3.0) behind our
 * runtime (the CLI on a module.yaml): a state declared with `expire_after_call` of 2 s, and an
 * instance TTL set on an endpoint in the module file (`instanceTtl`, our extension).
 * Needs scripts/interop/setup-python.sh (npm test runs it). Short real TTLs; no timing asserted.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { until } from "@statefun-ts/test-kit";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sleep } from "../e2e/verifier/http.js";
import { freePortOffset, killAllWorkers, WorkerProcess } from "../e2e/verifier/process.js";
import { type FunctionServer, stopAllFunctionServers, writeModuleFor } from "./function-server.js";
import { MODULE_TEMPLATE, python } from "./python.js";

const dir = mkdtempSync(join(tmpdir(), "statefun-interop-python-ttl-"));
let server: FunctionServer;
let worker: WorkerProcess;

beforeAll(async () => {
  python.require();
  server = await python.start(join(dir, "functions.log"));
  // The playground module, plus `example/person` bound alone with an instance TTL of 1 s.
  const person = `kind: io.statefun.endpoints.v2/http
spec:
  functions: example/person
  urlPathTemplate: http://127.0.0.1:${server.port}/statefun
  instanceTtl: 1s
---
`;
  const module = writeModuleFor(MODULE_TEMPLATE, dir, server, person);
  worker = WorkerProcess.cli(module, { dataDir: join(dir, "data"), portOffset: await freePortOffset(), logFile: join(dir, "worker.log") });
  await worker.start();
});

afterAll(async () => {
  await killAllWorkers();
  await stopAllFunctionServers();
  rmSync(dir, { recursive: true, force: true });
});

async function withLogs(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (error instanceof Error) {
      error.message = `${error.message}\n--- runtime log ---\n${worker?.logTail(80) ?? ""}\n--- Python log ---\n${server?.logTail(40) ?? ""}`;
    }
    throw error;
  }
}

/** Sends a string to `example/remember/{id}` and returns its reply: the value it had before ("" for none). */
async function remember(id: string, value: string): Promise<string> {
  const response = await fetch(`${worker.urls.ingress}/example/remember/${id}?await=10s`, {
    method: "PUT",
    body: value,
    signal: AbortSignal.timeout(15_000),
  });
  expect(response.status, `PUT /example/remember/${id}`).toBe(200);
  return response.text();
}

async function state(path: string): Promise<{ name: string; value: unknown; expiresAt: string | null }[]> {
  const response = await fetch(`${worker.urls.admin}/v1/state/${path}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { state: { name: string; value: unknown; expiresAt: string | null }[] }).state;
}

async function counter(name: string): Promise<number> {
  const text = await (await fetch(`${worker.urls.admin}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? 0);
}

const waitFor = (what: string, check: () => Promise<boolean>) => until(check, what, { timeoutMs: 20_000, intervalMs: 100 });

/** The state rows of an address in the SQLite file (the worker must be stopped). */
function rowsOf(type: string, id: string): string[] {
  const db = new Database(join(dir, "data", "statefun.db"), { readonly: true });
  try {
    return db.prepare("SELECT name FROM state WHERE namespace = 'example' AND type = ? AND id = ?").pluck().all(type, id) as string[];
  } finally {
    db.close();
  }
}

describe("time-to-live with the official StateFun Python SDK", () => {
  it("forgets a state declared with expire_after_call of 2 s: gone from GET /v1/state and from the next invocation 3 s later", () =>
    withLogs(async () => {
      expect(await remember("ttl-a", "first")).toBe("");
      expect(await remember("ttl-b", "only")).toBe("");
      const before = await state("example/remember/ttl-a");
      expect(before).toEqual([expect.objectContaining({ name: "last", value: "first" })]);
      expect(typeof before[0]?.expiresAt).toBe("string");

      await sleep(3000);
      expect(await state("example/remember/ttl-a")).toEqual([]);
      expect(await remember("ttl-a", "second"), "the next invocation sees no value").toBe("");
      expect(await state("example/remember/ttl-a")).toEqual([expect.objectContaining({ name: "last", value: "second" })]);
      // ttl-b was never called again: the sweeper deletes its row in the background.
      await waitFor("the sweeper", async () => (await counter("statefun_state_expired_total")) >= 1);
    }));

  it("drops a whole idle instance of a function bound with instanceTtl: 1s in module.yaml", () =>
    withLogs(async () => {
      const greet = await fetch(`${worker.urls.ingress}/example/person/Ann`, {
        method: "PUT",
        headers: { "content-type": "application/vnd.example/GreetRequest" },
        body: JSON.stringify({ name: "Ann" }),
      });
      expect(greet.status).toBe(202);
      await waitFor("Ann's visit", async () => (await state("example/person/Ann")).length === 1);
      expect(await state("example/person/Ann")).toEqual([expect.objectContaining({ name: "visits", value: 1 })]);
      await sleep(1500);
      expect(await state("example/person/Ann")).toEqual([]);
      await waitFor("the sweeper", async () => (await counter("statefun_instances_expired_total")) >= 1);

      await worker.kill();
      expect(rowsOf("person", "Ann")).toEqual([]);
      expect(rowsOf("remember", "ttl-b")).toEqual([]);
    }));
});
