import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "@statefun-ts/runtime";
import { statefulFunction, statefunModule, Types } from "@statefun-ts/sdk";
import { until } from "@statefun-ts/test-kit";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "./server.js";

let started = 0;
/** Never finishes: an invocation still running when the worker stops (a remote function retrying, in effect). */
const stuck = statefulFunction({
  typename: "test/stuck",
  accepts: [Types.string],
  handler: async () => {
    started++;
    await new Promise(() => {});
  },
});

describe("stopping the server (real SQLite store, real HTTP)", () => {
  let dir: string;
  let server: RunningServer | undefined;
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("gives the invocations still running what the HTTP drain leaves of its budget, not a budget of their own on top", async () => {
    dir = await mkdtemp(join(tmpdir(), "statefun-drain-"));
    server = await startServer({
      modules: [statefunModule({ functions: [stuck] })],
      dataDir: dir,
      ports: { admin: 0, ingress: 0, egress: 0 },
      logger: silentLogger,
      http: { shutdownDrainMs: 200 },
      // On its own the runtime would wait an hour for the stuck invocation: the server's budget bounds it.
      limits: { stopDrainMs: 3_600_000 },
    });
    const sent = await fetch(`http://127.0.0.1:${server.ports.ingress}/test/stuck/a`, {
      method: "PUT",
      headers: { "content-type": "text/plain" },
      body: "x",
    });
    expect(sent.status).toBe(202);
    await until(() => started === 1, "the invocation to start");
    await server.close();
    expect(server.runtime.ready).toBe(false);
  });
});
