/** `statefun top` against a worker running the greeter example: the live numbers per function type. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningServer, startServer } from "@statefun-ts/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import greeter from "../../examples/greeter/module.js";
import { topCommand } from "../../packages/server/src/cli/top.js";

const dir = mkdtempSync(join(tmpdir(), "statefun-top-"));
let server: RunningServer;

beforeAll(async () => {
  server = await startServer({
    modules: [greeter],
    dataDir: dir,
    ports: { admin: 0, ingress: 0, egress: 0 },
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("statefun top", () => {
  it("shows the worker, its rates and a line per function type with its invocations", async () => {
    for (let i = 0; i < 20; i++) {
      await fetch(`http://127.0.0.1:${server.ports.ingress}/example/person/p${i}`, {
        method: "PUT",
        headers: { "content-type": "application/vnd.example/GreetRequest" },
        body: JSON.stringify({ name: `p${i}` }),
      });
    }
    const admin = `http://127.0.0.1:${server.ports.admin}`;
    let screen = "";
    await expect
      .poll(
        async () => {
          screen = "";
          await topCommand({ admin, intervalMs: 1000, windowSeconds: 60, once: true }, (t) => {
            screen += t;
          });
          return /^example\/person +\S+ +[1-9]/m.test(screen);
        },
        { timeout: 10_000, interval: 500 },
      )
      .toBe(true);
    console.log(screen);
    expect(screen).toContain(`worker ${server.runtime.workerName}`);
    expect(screen).toContain("SQLite");
    expect(screen).toMatch(/^example\/greeter +/m);
    expect(screen).toMatch(/^in [\d.]+\/s +invocations [\d.]+\/s/m);
  });

  it("names the admin API it cannot reach", async () => {
    await expect(topCommand({ admin: "http://127.0.0.1:9", intervalMs: 1000, windowSeconds: 10, once: true }, () => {})).rejects.toThrow(
      "cannot reach the admin API at http://127.0.0.1:9",
    );
  });
});
