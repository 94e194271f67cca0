import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { silentLogger } from "@statefun-ts/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "./server.js";

const fixture = fileURLToPath(new URL("./fixtures/greeter-module.ts", import.meta.url));

describe("startServer (real SQLite store, real HTTP)", () => {
  let dir: string;
  let server: RunningServer;
  const url = (name: "admin" | "ingress" | "egress", path: string) => `http://127.0.0.1:${server.ports[name]}${path}`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "statefun-server-"));
    server = await startServer({
      modules: [fixture],
      dataDir: dir,
      ports: { admin: 0, ingress: 0, egress: 0 },
      logger: silentLogger,
    });
  });

  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("binds three distinct ports and is ready", async () => {
    const { admin, ingress, egress } = server.ports;
    expect(new Set([admin, ingress, egress]).size).toBe(3);
    expect((await fetch(url("admin", "/readyz"))).status).toBe(200);
  });

  it("accepts a message, runs the function and delivers its egress record", async () => {
    const put = await fetch(url("ingress", "/example/greeter/bob"), { method: "PUT", body: "bob" });
    expect(put.status).toBe(202);
    expect((await json(put)).requestId).toMatch(/.+/);

    const record = await poll(
      () => fetch(url("egress", "/greetings")),
      (r) => r.status === 200,
    );
    expect(record.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(record.headers.get("statefun-record-id")).toMatch(/^\d+$/);
    expect(await record.text()).toBe("Hello bob #1");
    // Acked once sent: the topic is empty now.
    await poll(
      () => fetch(url("egress", "/greetings")),
      (r) => r.status === 404,
    );
  });

  it("answers request-reply with ?await and routes module ingress paths", async () => {
    const call = await fetch(url("ingress", "/example/greeter/ann?await=5s"), { method: "POST", body: "ann" });
    expect(call.status).toBe(200);
    expect(await call.text()).toBe("Hello ann #1");

    const routed = await fetch(url("ingress", "/greet?await=5s"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "ann" }),
    });
    expect(routed.status).toBe(200);
    expect(await routed.text()).toBe("Hello ann #2");
  });

  it("counts a request once per idempotency key", async () => {
    const send = () =>
      fetch(url("ingress", "/example/greeter/kim"), { method: "PUT", headers: { "idempotency-key": "once" }, body: "kim" });
    const first = await send();
    const second = await send();
    expect(second.headers.get("statefun-duplicate")).toBe("true");
    expect((await json(second)).requestId).toBe((await json(first)).requestId);
    const state = await poll(
      () => fetch(url("admin", "/v1/state/example/greeter/kim")).then(json),
      (s) => s.state.length > 0,
    );
    expect(state.state.find((v: { name: string }) => v.name === "seen").value).toBe(1);
  });

  it("shows state through the admin API, decoded to JSON", async () => {
    const res = await fetch(url("admin", "/v1/state/example/greeter/ann"));
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.address).toEqual({ namespace: "example", type: "greeter", id: "ann" });
    const byName = Object.fromEntries(body.state.map((v: { name: string }) => [v.name, v]));
    expect(byName.seen).toEqual({ name: "seen", typename: "io.statefun.types/int", value: 2, expiresAt: null });
    expect(byName.last).toEqual({ name: "last", typename: "example/GreetRequest", value: { name: "ann" }, expiresAt: null });

    const functions = await json(await fetch(url("admin", "/v1/functions")));
    expect(functions[0].typename).toBe("example/greeter");
    const metrics = await (await fetch(url("admin", "/metrics"))).text();
    expect(metrics).toMatch(/^statefun_ingress_messages_total [1-9]/m);
    expect(metrics).toMatch(/^statefun_invocations_total [1-9]/m);
  });
});

/** A response body as loosely typed JSON, for assertions. */
const json = (response: Response): Promise<any> => response.json();

async function poll<T>(get: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await get();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error("condition not met within the time limit");
    await new Promise((r) => setTimeout(r, 20));
  }
}
