/**
 * Interop with the official StateFun Go SDK (statefun-sdk-go/v3 v3.3.0): our runtime, started
 * by the CLI on a StateFun 3.x playground `module.yaml`, invokes the Go functions of
 * test/interop/go over the request-reply protocol, and the playground ingress and egress
 * behave as StateFun's do.
 *
 * Needs the server that scripts/interop/setup-go.sh builds (npm test runs it first) and a build.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sleep } from "../e2e/verifier/http.js";
import { CLI, freePortOffset, killAllWorkers, WorkerProcess } from "../e2e/verifier/process.js";
import { GoFunctionServer, requireGoFunctions, stopAllGoServers, writeModule } from "./go/server.js";

const dir = mkdtempSync(join(tmpdir(), "statefun-interop-go-"));
let go: GoFunctionServer;
let worker: WorkerProcess;

beforeAll(async () => {
  requireGoFunctions();
  expect(existsSync(CLI), `build first (npm run build): ${CLI}`).toBe(true);
  go = await GoFunctionServer.start(join(dir, "go.log"));
  const module = writeModule(dir, go);
  worker = WorkerProcess.cli(module, { dataDir: join(dir, "data"), portOffset: await freePortOffset(), logFile: join(dir, "worker.log") });
  await worker.start();
});

afterAll(async () => {
  await killAllWorkers();
  await stopAllGoServers();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `body`; on failure, adds both processes' logs to the error. */
async function withLogs(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    const logs = `--- runtime log ---\n${worker?.logTail(120) ?? ""}\n--- Go function server log ---\n${go?.logTail(60) ?? ""}`;
    if (error instanceof Error) error.message = `${error.message}\n${logs}`;
    throw error;
  }
}

async function put(path: string, body: string, contentType?: string): Promise<Response> {
  return fetch(`${worker.urls.ingress}${path}`, {
    method: "PUT",
    headers: contentType === undefined ? {} : { "content-type": contentType },
    body,
    signal: AbortSignal.timeout(15_000),
  });
}

/** The oldest record of a playground egress topic, waiting for one to arrive. */
async function takeRecord(topic: string, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${worker.urls.egress}/${topic}`, { signal: AbortSignal.timeout(5000) });
    const body = await response.text();
    if (response.status === 200) return body;
    if (response.status !== 404) throw new Error(`GET /${topic}: HTTP ${response.status} ${body}`);
    if (Date.now() > deadline) throw new Error(`no record on the egress topic ${topic} within ${timeoutMs} ms`);
    await sleep(50);
  }
}

describe("the official StateFun Go SDK behind our runtime (module.yaml, playground ingress and egress)", () => {
  it("runs the playground greeter: a visit counted in Go state, a greeting on the egress topic", () =>
    withLogs(async () => {
      const first = await put("/example/person/Bob", JSON.stringify({ name: "Bob" }), "application/vnd.example/GreetRequest");
      expect(first.status, await first.text()).toBe(202);
      expect(await takeRecord("greetings")).toBe("Welcome Bob");

      const second = await put("/example/person/Bob", JSON.stringify({ name: "Bob" }), "application/vnd.example/GreetRequest");
      expect(second.status, await second.text()).toBe(202);
      expect(await takeRecord("greetings")).toBe("Nice to see you again Bob");

      // The state the Go function declared (Int32Type `visits`), as the admin API shows it.
      const state = await fetch(`${worker.urls.admin}/v1/state/example/person/Bob`);
      expect(state.status).toBe(200);
      const body = (await state.json()) as { state: { name: string; typename: string; value: unknown }[] };
      expect(body.state).toContainEqual(expect.objectContaining({ name: "visits", typename: "io.statefun.types/int", value: 2 }));
    }));

  it("answers request-reply: a Go function's message to its caller is the HTTP reply", () =>
    withLogs(async () => {
      const first = await put("/example/remember/r1?await=10s", "first");
      expect(first.status).toBe(200);
      expect(await first.text()).toBe("");
      const second = await put("/example/remember/r1?await=10s", "second");
      expect(second.status).toBe(200);
      expect(second.headers.get("content-type")).toMatch(/^text\/plain/);
      expect(await second.text()).toBe("first");
    }));

  it("expires a state the Go SDK declared with ExpireAfterCall (AFTER_INVOKE, 2 s)", () =>
    withLogs(async () => {
      const remember = async (id: string, value: string) => {
        const response = await put(`/example/remember/${id}?await=10s`, value);
        expect(response.status).toBe(200);
        return response.text();
      };
      expect(await remember("ttl", "a")).toBe("");
      await sleep(1200);
      expect(await remember("ttl", "b"), "kept: called again within 2 s").toBe("a");
      await sleep(1200);
      expect(await remember("ttl", "c"), "kept: each call restarts the 2 s (2.4 s after the first)").toBe("b");
      await sleep(3500);
      expect(await remember("ttl", "d"), "expired: 3.5 s without a call").toBe("");
    }));
});
