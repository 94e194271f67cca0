/**
 * The interop suite run against each official StateFun SDK (Python, Go): our runtime, started by
 * the CLI on a StateFun 3.x playground `module.yaml`, invokes the SDK's functions over the
 * request-reply protocol, and the playground ingress and egress behave as StateFun's do.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { crashSchedule } from "../e2e/verifier/chaos.js";
import { runVerifier } from "../e2e/verifier/driver.js";
import { sleep } from "../e2e/verifier/http.js";
import { CLI, freePortOffset, killAllWorkers, WorkerProcess } from "../e2e/verifier/process.js";
import { chooseSeed, Random } from "../e2e/verifier/random.js";
import { type FunctionServer, stopAllFunctionServers } from "./function-server.js";

/** One SDK's side of the suites: how to check its build, start its server, and point a module at it. */
export interface RemoteSdk {
  /** "Python", "Go". */
  readonly language: string;
  /** The SDK package, for test names. */
  readonly sdk: string;
  /** How its state with expiry after call is declared, for test names. */
  readonly expireAfterCall: string;
  /** Throws, naming the setup command, when its functions are not built. */
  require(): void;
  start(logFile: string): Promise<FunctionServer>;
  /** Writes a copy of its module.yaml pointing at `server` into `dir`; returns the path. */
  writeModule(dir: string, server: FunctionServer): string;
}

/** Greeter, request-reply and expiry through our runtime. */
export function remoteSdkSuite(lang: RemoteSdk): void {
  const dir = mkdtempSync(join(tmpdir(), `statefun-interop-${lang.language.toLowerCase()}-`));
  let server: FunctionServer;
  let worker: WorkerProcess;

  beforeAll(async () => {
    lang.require();
    expect(existsSync(CLI), `build first (npm run build): ${CLI}`).toBe(true);
    server = await lang.start(join(dir, "functions.log"));
    const module = lang.writeModule(dir, server);
    worker = WorkerProcess.cli(module, {
      dataDir: join(dir, "data"),
      portOffset: await freePortOffset(),
      logFile: join(dir, "worker.log"),
    });
    await worker.start();
  });

  afterAll(async () => {
    await killAllWorkers();
    await stopAllFunctionServers();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `body`; on failure, adds both processes' logs to the error. */
  async function withLogs(body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (error) {
      const logs = `--- runtime log ---\n${worker?.logTail(120) ?? ""}\n--- ${lang.language} function server log ---\n${server?.logTail(60) ?? ""}`;
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

  describe(`the official StateFun ${lang.language} SDK (${lang.sdk}) behind our runtime (module.yaml, playground ingress and egress)`, () => {
    it(`runs the playground greeter: a visit counted in ${lang.language} state, a greeting on the egress topic`, () =>
      withLogs(async () => {
        const first = await put("/example/person/Bob", JSON.stringify({ name: "Bob" }), "application/vnd.example/GreetRequest");
        expect(first.status, await first.text()).toBe(202);
        expect(await takeRecord("greetings")).toBe("Welcome Bob");

        const second = await put("/example/person/Bob", JSON.stringify({ name: "Bob" }), "application/vnd.example/GreetRequest");
        expect(second.status, await second.text()).toBe(202);
        expect(await takeRecord("greetings")).toBe("Nice to see you again Bob");

        // The state the function declared (an int `visits`), as the admin API shows it.
        const state = await fetch(`${worker.urls.admin}/v1/state/example/person/Bob`);
        expect(state.status).toBe(200);
        const body = (await state.json()) as { state: { name: string; typename: string; value: unknown }[] };
        expect(body.state).toContainEqual(expect.objectContaining({ name: "visits", typename: "io.statefun.types/int", value: 2 }));
      }));

    it(`answers request-reply: a ${lang.language} function's message to its caller is the HTTP reply`, () =>
      withLogs(async () => {
        const first = await put("/example/remember/r1?await=10s", "first");
        expect(first.status).toBe(200);
        expect(await first.text()).toBe("");
        const second = await put("/example/remember/r1?await=10s", "second");
        expect(second.status).toBe(200);
        expect(second.headers.get("content-type")).toMatch(/^text\/plain/);
        expect(await second.text()).toBe("first");
      }));

    it(`expires a state the ${lang.language} SDK declared with ${lang.expireAfterCall} (AFTER_INVOKE, 2 s)`, () =>
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
}

/**
 * The crash verifier (test/e2e/verifier) with the SDK's command interpreter as the function,
 * behind our runtime, which is killed with SIGKILL while the trees flow. Every count must end
 * exact and every egress record arrive: exactly-once holds for remote functions too, through
 * retried batches, re-sent state and delayed messages kept by the runtime.
 * Replay a failure with VERIFIER_SEED=<seed> (printed in the message).
 */
export function remoteVerifierSuite(lang: RemoteSdk): void {
  const dir = mkdtempSync(join(tmpdir(), `statefun-interop-${lang.language.toLowerCase()}-verifier-`));
  afterAll(async () => {
    await killAllWorkers();
    await stopAllFunctionServers();
    rmSync(dir, { recursive: true, force: true });
  });

  describe(`crash verifier: ${lang.language} functions behind a runtime killed with SIGKILL`, () => {
    it("ends with every count exact and every egress record delivered after 3+ kills", async () => {
      lang.require();
      expect(existsSync(CLI), `build first (npm run build): ${CLI}`).toBe(true);
      const seed = chooseSeed();
      const server = await lang.start(join(dir, "functions.log"));
      const worker = WorkerProcess.cli(lang.writeModule(dir, server), {
        dataDir: join(dir, "data"),
        portOffset: await freePortOffset(),
        logFile: join(dir, "worker.log"),
      });
      const logs = () => `--- runtime log ---\n${worker.logTail(200)}\n--- ${lang.language} function server log ---\n${server.logTail(60)}`;
      try {
        await worker.start();
        const { ingress, egress, admin } = worker.urls;
        const report = await runVerifier({
          seed,
          ingress: [ingress],
          egress: [egress],
          admin: [admin],
          chaos: crashSchedule(new Random(seed ^ 0x5eed), [worker], { kills: 3 }),
        });
        console.log(report.message);
        if (!report.ok) console.error(`${report.message}\n${report.log.join("\n")}\n${logs()}`);
        const kills = report.chaos.filter((c) => c.event.startsWith("SIGKILL"));
        expect(kills.length, report.message).toBeGreaterThanOrEqual(3);
        for (const kill of kills) expect(kill.acknowledged, `a kill after the traffic\n${report.message}`).toBeLessThan(kill.total);
        expect(report.ok, report.message).toBe(true);
        expect(report.stats.ids).toBeGreaterThanOrEqual(100);
      } catch (error) {
        console.error(`seed ${seed}\n${logs()}`);
        throw error;
      } finally {
        await worker.kill();
        await server.stop();
      }
    }, 150_000);
  });
}
