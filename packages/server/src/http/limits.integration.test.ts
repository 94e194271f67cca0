import { mkdtemp, rm } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { silentLogger } from "@statefun-ts/runtime";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type RunningServer, type ServerOptions, startServer } from "../server.js";

const fixture = fileURLToPath(new URL("../fixtures/greeter-module.ts", import.meta.url));

/** A raw client socket: what it was sent back, and whether the server closed it. */
interface Raw {
  readonly socket: Socket;
  received(): string;
  closed: Promise<void>;
}

async function open(port: number): Promise<Raw> {
  const socket = connect(port, "127.0.0.1");
  let text = "";
  socket.on("data", (chunk) => {
    text += chunk.toString("latin1");
  });
  socket.on("error", () => {});
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return { socket, received: () => text, closed };
}

/** Resolves with `promise`, or rejects once `ms` passed (a bound on a hang, not a timing assertion). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** The JSON body of a raw HTTP/1.1 answer. */
function bodyOf(answer: string): unknown {
  return JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4));
}

describe("HTTP limits: slow clients, connection limits, bounded shutdown (real HTTP)", () => {
  let dir: string;
  let server: RunningServer | undefined;
  const sockets: Socket[] = [];
  const start = async (http: ServerOptions["http"]) => {
    server = await startServer({
      modules: [fixture],
      dataDir: dir,
      ports: { admin: 0, ingress: 0, egress: 0 },
      logger: silentLogger,
      http,
    });
    return server;
  };
  const raw = async (port: number) => {
    const r = await open(port);
    sockets.push(r.socket);
    return r;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "statefun-limits-"));
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await server?.close();
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it("answers a body that never completes 408 in the documented shape, and closes the connection", async () => {
    const { ports } = await start({ requestTimeoutMs: 300, headersTimeoutMs: 200 });
    const slow = await raw(ports.ingress);
    slow.socket.write("PUT /example/greeter/slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab");
    await within(slow.closed, 10_000, "the slow request's connection closing");
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408/);
    expect(bodyOf(slow.received())).toMatchObject({ code: "STATEFUN_REQUEST_TIMEOUT", error: expect.stringContaining("300 ms") });
  });

  it("answers headers over the limit 431 and a bad %-escape 400, both as {error, code}", async () => {
    const { ports } = await start({});
    const big = await raw(ports.ingress);
    big.socket.write(`PUT /example/greeter/a HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\nContent-Length: 0\r\n\r\n`);
    await within(big.closed, 10_000, "the 431 connection closing");
    expect(big.received()).toMatch(/^HTTP\/1\.1 431/);
    expect(bodyOf(big.received())).toMatchObject({ code: "STATEFUN_HEADERS_TOO_LARGE", error: expect.any(String) });

    for (const [port, path] of [
      [ports.ingress, "/replies/%zz"],
      [ports.egress, "/%zz"],
      [ports.admin, "/v1/modules/%zz"],
    ] as const) {
      const answer = await fetch(`http://127.0.0.1:${port}${path}`);
      expect(answer.status).toBe(400);
      expect(await answer.json()).toEqual({ code: "STATEFUN_BAD_REQUEST", error: expect.stringContaining("%zz") });
    }
  });

  it("past the ingress's limit, closes the oldest connection that waits for no answer while the admin API keeps answering", async () => {
    const { ports } = await start({ maxConnections: 3 });
    const held: Raw[] = [];
    for (let i = 0; i < 3; i++) held.push(await raw(ports.ingress));
    const extra = await raw(ports.ingress);
    await within(held[0]!.closed, 10_000, "the oldest idle connection closing");
    expect((await fetch(`http://127.0.0.1:${ports.admin}/healthz`)).status).toBe(200);
    for (const h of [...held, extra]) h.socket.destroy();
  });

  it("slow clients holding every admin connection do not lock an operator out (slowloris)", async () => {
    const { ports } = await start({});
    // The admin server's 128 connections, each sending its headers a line at a time, never ending them.
    const slow: Raw[] = [];
    for (let i = 0; i < 128; i++) {
      const r = await raw(ports.admin);
      r.socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n");
      slow.push(r);
    }
    const before = slow.filter((r) => r.socket.destroyed).length;
    expect(before).toBe(0);
    for (let i = 0; i < 3; i++) {
      const operator = await raw(ports.admin);
      operator.socket.write("GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      await within(operator.closed, 10_000, "the operator's answer");
      expect(operator.received()).toMatch(/^HTTP\/1\.1 200 /);
    }
    await within(slow[0]!.closed, 10_000, "the oldest slow connection closing");
  });

  it("stops within the drain time even while a client holds a request open", async () => {
    const { ports } = await start({ shutdownDrainMs: 300 });
    // Waits up to a minute for a reply that never comes (nothing serves the type).
    const slow = await raw(ports.ingress);
    slow.socket.write("PUT /nobody/serves/this?await=60s HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab");
    await within(
      (async () => {
        for (;;) {
          const parked = (await (await fetch(`http://127.0.0.1:${ports.admin}/v1/parked`)).json()) as Record<string, number>;
          if (parked["nobody/serves"] === 1) return;
          await new Promise((r) => setTimeout(r, 20));
        }
      })(),
      10_000,
      "the message parking",
    );
    const closing = server!.close();
    await within(closing, 10_000, "server.close()");
    await within(slow.closed, 10_000, "the held connection closing");
    server = undefined;
  });
});
