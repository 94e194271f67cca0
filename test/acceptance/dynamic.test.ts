import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { until } from "@statefun-ts/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePortOffset } from "../e2e/verifier/process.js";
import { FunctionServer, stopAllFunctionServers } from "../interop/function-server.js";
import { take, Worker } from "./worker.js";

// Issue 5's acceptance: a worker started with no module; functions bound, unbound and bound
// again through the admin API while messages wait, across a kill -9.
const root = resolve(import.meta.dirname, "../..");
const logs = mkdtempSync(join(tmpdir(), "statefun-acceptance-dynamic-"));
let worker: Worker;
let functions: FunctionServer;

beforeAll(async () => {
  worker = new Worker([], await freePortOffset());
  await worker.start();
  functions = await FunctionServer.start(
    {
      name: "TypeScript",
      command: process.execPath,
      args: ["--import", "tsx", "test/e2e/dynamic/function-server.ts", "greeter"],
      cwd: root,
    },
    join(logs, "functions.log"),
  );
}, 60_000);
afterAll(async () => {
  await worker.dispose();
  await stopAllFunctionServers();
  rmSync(logs, { recursive: true, force: true });
});

const admin = (method: string, path: string, body?: string) => fetch(worker.url("admin", path), { method, body });
const greet = (name: string) =>
  fetch(worker.url("ingress", `/example/person/${name}`), {
    method: "PUT",
    headers: { "Content-Type": "application/vnd.example/GreetRequest" },
    body: JSON.stringify({ name }),
  });
const parked = async () => ((await (await admin("GET", "/v1/parked")).json()) as Record<string, number>)["example/person"] ?? 0;
const untilLogged = (check: () => Promise<boolean>, what: string) =>
  until(check, what, { timeoutMs: 15_000, intervalMs: 50, explain: () => worker.log });
const bindExample = () =>
  admin(
    "PUT",
    "/v1/functions/example/*",
    JSON.stringify({ kind: "remote", url: `${functions.url.replace(/statefun$/, "")}{function.name}` }),
  );

describe("dynamic loading, end to end", () => {
  it("parks messages with no binding (2xx), delivers them when bound, unbound, across a kill -9, and bound again", async () => {
    expect(
      (await admin("PUT", "/v1/modules/topics", "kind: io.statefun.playground.v1/egress\nspec:\n  topics: [greetings]\n")).status,
    ).toBe(200);
    const seen = new Set<string>();
    expect((await greet("x")).status).toBe(202);
    await untilLogged(async () => (await parked()) === 1, "the first message parked");

    expect((await bindExample()).status).toBe(200);
    expect(await take(worker.url("egress", "/greetings"), seen)).toContain("x");
    expect(await parked()).toBe(0);

    expect((await admin("DELETE", "/v1/functions/example/*")).status).toBe(200);
    expect((await greet("x")).status).toBe(202);
    await untilLogged(async () => (await parked()) === 1, "the second message parked");
    expect(await (await admin("GET", "/metrics")).text()).toContain('statefun_parked_messages_by_type{function_type="example/person"} 1');

    await worker.kill();
    await worker.start();
    await untilLogged(async () => (await parked()) === 1, "the second message parked after the restart");
    expect(await (await admin("GET", "/v1/modules")).json()).toMatchObject([{ name: "topics", topics: ["greetings"] }]);
    expect((await bindExample()).status).toBe(200);
    const second = await take(worker.url("egress", "/greetings"), seen);
    expect(second).toContain("x");
    const state = (await (await admin("GET", "/v1/state/example/person/x")).json()) as { state: { name: string; value: unknown }[] };
    expect(state.state.find((s) => s.name === "visits")?.value).toBe(2);
  }, 90_000);

  it("answers a module with a broken document 400, naming the document and the field, and changes nothing", async () => {
    const before = await (await admin("GET", "/v1/modules")).text();
    const broken = [
      "kind: io.statefun.playground.v1/egress",
      "spec:",
      "  topics: [more]",
      "---",
      "kind: io.statefun.endpoints.v2/http",
      "spec:",
      "  functions: other/*",
      "  urlPathTemplate: http://127.0.0.1:1/{function.name}",
      "  maxNumBatchRequests: -3",
      "",
    ].join("\n");
    const answer = await admin("PUT", "/v1/modules/broken", broken);
    expect(answer.status).toBe(400);
    const { error } = (await answer.json()) as { error: string };
    expect(error).toContain("module broken, document 2 (io.statefun.endpoints.v2/http): spec.maxNumBatchRequests");
    expect(await (await admin("GET", "/v1/modules")).text()).toBe(before);
    expect((await fetch(worker.url("egress", "/more"))).status).toBe(404);
    const list = (await (await admin("GET", "/v1/functions")).json()) as { typename: string }[];
    expect(list.map((f) => f.typename)).toEqual(["example/*"]);
  }, 30_000);
});
