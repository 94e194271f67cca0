import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { silentLogger } from "@statefun-ts/runtime";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type RunningServer, type ServerOptions, startServer } from "../server.js";

const fixture = fileURLToPath(new URL("../fixtures/greeter-module.ts", import.meta.url));

describe("ingress admission: parked-message bounds and the free-space watermark (real SQLite store, real HTTP)", () => {
  let dir: string;
  let server: RunningServer | undefined;
  const start = async (extra: ServerOptions) => {
    server = await startServer({
      modules: [fixture],
      dataDir: dir,
      ports: { admin: 0, ingress: 0, egress: 0 },
      logger: silentLogger,
      ...extra,
    });
    return server;
  };
  const url = (name: "admin" | "ingress" | "egress", path: string) => `http://127.0.0.1:${server!.ports[name]}${path}`;
  const send = (path: string) => fetch(url("ingress", path), { method: "PUT", body: "x" });
  async function parked(type: string, count: number) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const byType = (await (await fetch(url("admin", "/v1/parked"))).json()) as Record<string, number>;
      if (byType[type] === count) return;
      if (Date.now() > deadline) throw new Error(`${type}: not ${count} parked within 10 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "statefun-admission-"));
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it("answers 429 past the parked-message bound of a type, and past the bound of all types", async () => {
    await start({ parkLimits: { perType: 2, total: 3 } });
    for (const id of ["1", "2"]) expect((await send(`/nobody/a/${id}`)).status).toBe(202);
    await parked("nobody/a", 2);
    const perType = await send("/nobody/a/3");
    expect(perType.status).toBe(429);
    expect(await perType.json()).toEqual({
      code: "STATEFUN_PARK_LIMIT",
      error: expect.stringContaining("nobody/a is not loaded and has 2 parked messages"),
    });
    expect(perType.headers.get("retry-after")).not.toBeNull();
    expect((await send("/nobody/b/1")).status).toBe(202);
    await parked("nobody/b", 1);
    const total = await send("/nobody/c/1");
    expect(total.status).toBe(429);
    expect(((await total.json()) as { error: string }).error).toContain("3 parked messages in all");
    // A loaded type is not bounded by parking.
    expect((await send("/example/greeter/bob")).status).toBe(202);
  });

  it("refuses ingress with 507 below the free-space watermark, and keeps serving reads and the admin API", async () => {
    await start({ disk: { minFreeBytes: Number.MAX_SAFE_INTEGER } });
    const refused = await send("/example/greeter/bob");
    expect(refused.status).toBe(507);
    expect(await refused.json()).toEqual({ code: "STATEFUN_DISK_FULL", error: expect.stringContaining("free") });
    expect((await fetch(url("ingress", "/greet"), { method: "POST", body: '{"name":"x"}' })).status).toBe(507);
    expect((await fetch(url("admin", "/v1/functions"))).status).toBe(200);
    expect((await fetch(url("admin", "/readyz"))).status).toBe(200);
    expect((await fetch(url("egress", "/greetings"))).status).toBe(404);
    expect((await fetch(url("ingress", "/replies/none"))).status).toBe(404);
  });
});
