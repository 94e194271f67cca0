/**
 * Our own SDK on the remote side: the greeter example served over StateFun's protocol with
 * `serve()` from `@statefun-ts/sdk/node`, invoked by our runtime through a StateFun module.yaml —
 * it must behave exactly as it does embedded. And a remote endpoint that answers 500 forever
 * delays only its own address: others keep flowing, and its batch is dead-lettered with the
 * error after the call budget (StateFun would restart the whole job).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "@statefun-ts/sdk/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import greeterModule from "../../examples/greeter/module.js";
import { sleep } from "../e2e/verifier/http.js";
import { freePortOffset, killAllWorkers, WorkerProcess } from "../e2e/verifier/process.js";

const dir = mkdtempSync(join(tmpdir(), "statefun-interop-ts-"));
let functions: Awaited<ReturnType<typeof serve>>;
let failing: Server;
let failingCalls = 0;
let worker: WorkerProcess;

beforeAll(async () => {
  functions = await serve(greeterModule, { port: 0 });
  failing = createServer((req, res) => {
    failingCalls++;
    req.resume();
    res.writeHead(500, { "content-type": "text/plain" }).end("always failing");
  });
  await new Promise<void>((resolve) => failing.listen(0, "127.0.0.1", resolve));
  const failingPort = (failing.address() as { port: number }).port;
  const module = join(dir, "module.yaml");
  writeFileSync(
    module,
    `kind: io.statefun.endpoints.v2/http
spec:
  functions: example/*
  urlPathTemplate: ${functions.url}/{function.name}
---
kind: io.statefun.endpoints.v2/http
spec:
  functions: failing/*
  urlPathTemplate: http://127.0.0.1:${failingPort}/{function.name}
  transport:
    call: 5s
---
kind: io.statefun.playground.v1/egress
spec:
  topics: [greetings]
`,
  );
  worker = WorkerProcess.cli(module, { dataDir: join(dir, "data"), portOffset: await freePortOffset(), logFile: join(dir, "worker.log") });
  await worker.start();
}, 60_000);

afterAll(async () => {
  await killAllWorkers();
  await functions?.close();
  failing?.close();
  rmSync(dir, { recursive: true, force: true });
});

const greet = (name: string) =>
  fetch(`${worker.urls.ingress}/example/person/${name}`, {
    method: "PUT",
    headers: { "content-type": "application/vnd.example/GreetRequest" },
    body: JSON.stringify({ name }),
  });

async function takeGreeting(): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const response = await fetch(`${worker.urls.egress}/greetings`);
    if (response.status === 200) return response.text();
    if (Date.now() > deadline) throw new Error(`no greeting within 15 s\n${worker.logTail(60)}`);
    await sleep(50);
  }
}

describe("functions of our TypeScript SDK served remotely, behind our runtime", () => {
  it("greets as the embedded example does, with state registered through the handshake", async () => {
    expect((await greet("Bob")).status).toBe(202);
    expect(await takeGreeting()).toBe("Welcome Bob!");
    expect((await greet("Bob")).status).toBe(202);
    expect(await takeGreeting()).toBe("Nice to see you again Bob.");
    const state = (await (await fetch(`${worker.urls.admin}/v1/state/example/person/Bob`)).json()) as {
      state: { name: string; value: unknown }[];
    };
    expect(state.state).toContainEqual(expect.objectContaining({ name: "visits", value: 2 }));
  }, 30_000);

  type Letter = { target: { namespace: string; id: string }; error: string };

  it("dead-letters the batch of an endpoint that answers 500 forever, without holding up other addresses", async () => {
    const started = Date.now();
    const put = await fetch(`${worker.urls.ingress}/failing/fn/x`, { method: "PUT", body: "hello" });
    expect(put.status).toBe(202);
    // While the failing address retries (for its 5 s budget), another address is served.
    await sleep(300);
    expect((await greet("Alice")).status).toBe(202);
    expect(await takeGreeting()).toBe("Welcome Alice!");
    const letters = async () => (await (await fetch(`${worker.urls.admin}/v1/deadletters`)).json()) as Letter[];
    expect(
      (await letters()).some((l) => l.target.namespace === "failing"),
      "Alice was served before the failing batch gave up",
    ).toBe(false);

    let letter: Letter | undefined;
    while (letter === undefined && Date.now() - started < 20_000) {
      letter = (await letters()).find((l) => l.target.namespace === "failing");
      if (letter === undefined) await sleep(100);
    }
    expect(letter, worker.logTail(60)).toBeDefined();
    // Retries stop when the next backoff would overrun the 5 s budget.
    expect(Date.now() - started).toBeGreaterThanOrEqual(4000);
    expect(letter?.error).toContain("HTTP 500");
    expect(letter?.error).toContain("always failing");
    expect(failingCalls).toBeGreaterThan(1);
  }, 30_000);
});
