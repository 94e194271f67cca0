/**
 * Dynamic loading under load (issue 5): while senders stream messages to embedded and remote
 * function types, every type's binding is swapped 20+ times (new versions of an embedded module
 * file through PUT /v1/modules, and two remote function servers through PUT /v1/functions), a
 * module is unloaded and loaded again, and a routed HTTP ingress is added and removed. At the
 * end every message must have been processed exactly once by some version: each address's
 * count is exact (over = a duplicate effect, under = a loss), every payload appears in exactly
 * one egress record (apart from redeliveries of the same record), and a message sent after a
 * new embedded version was loaded never ran on an older one.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { until } from "@statefun-ts/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { take, Worker } from "../acceptance/worker.js";
import { FunctionServer, stopAllFunctionServers } from "../interop/function-server.js";
import { OUT_TOPIC } from "./dynamic/counter.js";
import { sleep } from "./verifier/http.js";
import { freePortOffset } from "./verifier/process.js";

const root = resolve(import.meta.dirname, "../..");
const counterFile = join(root, "test/e2e/dynamic/counter.ts");
const EMBEDDED = ["load/e1", "load/e2"];
const REMOTE = ["remote/r1", "remote/r2"];
const ROUTED = "load/routed";
const IDS = ["a", "b", "c", "d", "e"];
const SWAPS = 20;

const dir = mkdtempSync(join(tmpdir(), "statefun-dynamic-load-"));
let worker: Worker;
const servers: Record<"A" | "B", FunctionServer | undefined> = { A: undefined, B: undefined };

/** The embedded module at version `v`: both embedded types, tagged `v{n}`. Same file, new content each time. */
function writeEmbedded(v: number): void {
  writeFileSync(
    join(dir, "embedded.ts"),
    `import { statefunModule } from "@statefun-ts/sdk";
import { counter, out } from ${JSON.stringify(counterFile)};
export default statefunModule({ functions: ${JSON.stringify(EMBEDDED)}.map((t) => counter(t, "v${v}")), egresses: [out] });
`,
  );
}

const embeddedYaml = `kind: io.statefun-ts.v1/module\nspec:\n  path: ${join(dir, "embedded.ts")}\n`;
const routesYaml = `kind: io.statefun-ts.v1/module\nspec:\n  path: ${join(dir, "routes.ts")}\n`;

beforeAll(async () => {
  mkdirSync(join(dir, "node_modules", "@statefun-ts"), { recursive: true });
  writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
  const { symlinkSync } = await import("node:fs");
  symlinkSync(join(root, "packages", "sdk"), join(dir, "node_modules", "@statefun-ts", "sdk"));
  writeFileSync(
    join(dir, "routes.ts"),
    `import { statefunModule } from "@statefun-ts/sdk";
import { counter, out, route } from ${JSON.stringify(counterFile)};
const fn = counter(${JSON.stringify(ROUTED)}, "routed");
export default statefunModule({ functions: [fn], ingresses: [route("/dyn-route", fn)], egresses: [out] });
`,
  );
  worker = new Worker(["--park-timeout", "1h"], await freePortOffset());
  await worker.start();
  for (const tag of ["A", "B"] as const) {
    servers[tag] = await FunctionServer.start(
      {
        name: `TypeScript ${tag}`,
        command: process.execPath,
        args: ["--import", "tsx", "test/e2e/dynamic/function-server.ts", "counter", tag, ...REMOTE],
        cwd: root,
      },
      join(dir, `functions-${tag}.log`),
    );
  }
}, 60_000);

afterAll(async () => {
  await worker?.dispose();
  await stopAllFunctionServers();
  rmSync(dir, { recursive: true, force: true });
});

async function admin(method: string, path: string, body?: string): Promise<void> {
  const response = await fetch(worker.url("admin", path), { method, body });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
}

/**
 * Sends until accepted (2xx), through connection errors and 503s; the idempotency key makes a
 * retry count once. False when the path is gone (404: a routed ingress just removed).
 */
async function deliver(url: string, init: RequestInit & { headers: Record<string, string> }): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(url, init).catch(() => undefined);
    if (response?.ok) return true;
    if (response?.status === 404 && url.endsWith("/dyn-route")) return false;
    if (response !== undefined && response.status !== 503) throw new Error(`${url}: ${response.status} ${await response.text()}`);
    if (attempt > 200) throw new Error(`${url}: not accepted after ${attempt} attempts`);
    await sleep(20);
  }
}

describe("dynamic loading under load", () => {
  it("swaps every binding 20+ times, unloads and reloads a type, adds and removes an ingress: no message lost or applied twice", async () => {
    writeEmbedded(1);
    await admin("PUT", "/v1/modules/embedded", embeddedYaml);
    await admin("PUT", "/v1/functions/remote/*", JSON.stringify({ kind: "remote", url: `${servers.A!.url}/{function.name}` }));
    let version = 1;
    let routesLoaded = false;
    let sending = true;
    const expected = new Map<string, number>();
    /** For each payload: its target and the lowest embedded version allowed to run it. */
    const sent = new Map<string, { key: string; minVersion: number }>();
    let n = 0;

    const sender = async (lane: number) => {
      const types = [...EMBEDDED, ...REMOTE, ROUTED];
      for (let i = 0; sending; i++) {
        const type = types[(i + lane) % types.length]!;
        const id = IDS[(i * 7 + lane) % IDS.length]!;
        if (type === ROUTED && !routesLoaded) continue;
        const payload = `m${n++}`;
        const key = `${type}/${id}`;
        const minVersion = version;
        const accepted =
          type === ROUTED
            ? await deliver(worker.url("ingress", "/dyn-route"), {
                method: "POST",
                headers: { "idempotency-key": payload },
                body: JSON.stringify({ id, payload }),
              })
            : await deliver(worker.url("ingress", `/${key}`), { method: "PUT", headers: { "idempotency-key": payload }, body: payload });
        if (!accepted) continue;
        sent.set(payload, { key, minVersion });
        expected.set(key, (expected.get(key) ?? 0) + 1);
        await sleep(2);
      }
    };
    const senders = Array.from({ length: 6 }, (_, lane) => sender(lane));
    while (n < 100) await sleep(10); // traffic flows before the first swap

    const routeStatus = async () =>
      (await fetch(worker.url("ingress", "/dyn-route"), { method: "POST", body: JSON.stringify({ id: "a", payload: "probe" }) })).status;
    let removedStatus = 0;
    for (let swap = 1; swap <= SWAPS; swap++) {
      writeEmbedded(swap + 1);
      await admin("PUT", "/v1/modules/embedded", embeddedYaml);
      version = swap + 1;
      const to = swap % 2 === 1 ? servers.B! : servers.A!;
      await admin("PUT", "/v1/functions/remote/*", JSON.stringify({ kind: "remote", url: `${to.url}/{function.name}` }));
      if (swap === 4) {
        await admin("PUT", "/v1/modules/routes", routesYaml);
        routesLoaded = true;
      }
      if (swap === 8) {
        await admin("DELETE", "/v1/modules/embedded");
        await sleep(300); // messages to the embedded types park meanwhile
        await admin("PUT", "/v1/modules/embedded", embeddedYaml);
      }
      if (swap === 10) await admin("DELETE", "/v1/functions/remote/*").then(() => sleep(300));
      if (swap === 15) {
        routesLoaded = false;
        await sleep(50);
        await admin("DELETE", "/v1/modules/routes");
        removedStatus = await routeStatus();
      }
      await sleep(100);
    }
    while (n < 1000) await sleep(10); // a stream of at least 1,000 messages, however fast the machine
    sending = false;
    await Promise.all(senders);
    expect(removedStatus).toBe(404);
    // Messages to the routed type accepted before its module went are parked: load it again.
    await admin("PUT", "/v1/modules/routes", routesYaml);

    // Every address reaches its exact count.
    const countOf = async (key: string): Promise<number> => {
      const body = (await (await fetch(worker.url("admin", `/v1/state/${key}`))).json()) as { state: { name: string; value: unknown }[] };
      return Number(body.state.find((s) => s.name === "count")?.value ?? 0);
    };
    const deadline = Date.now() + 30_000;
    const counts = new Map<string, number>();
    for (const [key, want] of expected) {
      for (;;) {
        counts.set(key, await countOf(key));
        if (counts.get(key)! >= want || Date.now() > deadline) break;
        await sleep(50);
      }
    }
    // An over-count would show once the worker is idle: nothing waiting, parked, buffered, running or committing.
    const idle = ["backlog_messages", "parked_messages", "buffered_messages", "in_flight_invocations", "pending_commits"];
    await until(
      async () => {
        const metrics = await (await fetch(worker.url("admin", "/metrics"))).text();
        return idle.every((gauge) => new RegExp(`^statefun_${gauge} 0$`, "m").test(metrics));
      },
      "an idle worker",
      { timeoutMs: 30_000, intervalMs: 50, explain: () => worker.log.slice(-3000) },
    );
    for (const key of expected.keys()) counts.set(key, await countOf(key));
    const wrong = [...expected]
      .filter(([key, want]) => counts.get(key) !== want)
      .map(([key, want]) => `${key}: ${counts.get(key)} of ${want}`);
    expect(wrong, `counts (over = duplicate, under = loss)\n${worker.log.slice(-3000)}`).toEqual([]);

    // Every payload in exactly one egress record; embedded messages never ran on an older version.
    const seen = new Set<string>();
    const ran = new Map<string, string>();
    const problems: string[] = [];
    while (ran.size < sent.size) {
      const record = await take(worker.url("egress", `/${OUT_TOPIC}`), seen, 10_000).catch(() => undefined);
      if (record === undefined) break;
      const [type, id, payload, tag] = record.split("|") as [string, string, string, string];
      const message = sent.get(payload);
      if (message === undefined || message.key !== `${type}/${id}`) problems.push(`unexpected record ${record}`);
      else if (ran.has(payload)) problems.push(`${payload} ran twice: ${ran.get(payload)} and ${tag}`);
      else if (tag.startsWith("v") && Number(tag.slice(1)) < message.minVersion)
        problems.push(`${payload} ran on ${tag}, sent after v${message.minVersion} was loaded`);
      ran.set(payload, tag);
    }
    for (const payload of sent.keys()) if (!ran.has(payload)) problems.push(`${payload} produced no egress record`);
    expect(problems.slice(0, 20)).toEqual([]);
    // The swaps happened under traffic: both servers, the routed type and many embedded versions ran messages.
    const tags = new Set(ran.values());
    for (const tag of ["A", "B", "routed"]) expect(tags).toContain(tag);
    expect([...tags].filter((t) => t.startsWith("v")).length).toBeGreaterThanOrEqual(SWAPS / 2);
  }, 120_000);
});
