import http from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import { BuiltinTypeNames, StatefunError, StringCodec } from "@statefun-ts/protocol";
import type { IngestReceipt, IngestRequest } from "@statefun-ts/runtime";
import { httpIngress, jsonType } from "@statefun-ts/sdk";
import { until } from "@statefun-ts/test-kit";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { HttpError } from "./errors.js";
import { type IngressRuntime, ingressApp } from "./ingress.js";

const VND = "application/vnd.example/Thing";
const BODY = Buffer.from([8, 1]);
const Order = jsonType<{ user: string }>("shop/Order");

interface Answer {
  status: number;
  headers: string[];
  body: string;
}

/**
 * An ingress over real HTTP with a fake runtime; `viaFastify` counts the requests Fastify's
 * hooks saw (the ones not taken ahead of it).
 */
async function ingress(runtime: Partial<IngressRuntime>, admit?: (type: string) => void) {
  const requests: IngestRequest[] = [];
  const full: IngressRuntime = {
    ingresses: () => [
      httpIngress({ path: "/shop/orders/in", type: Order, route: (o) => [{ namespace: "shop", type: "cart", id: o.user }] }),
    ],
    getReply: async () => undefined,
    async ingest(request): Promise<IngestReceipt> {
      requests.push(request);
      return { requestId: "req-1", duplicate: false, reply: async () => ({ typename: "example/Reply", value: new Uint8Array([1, 2]) }) };
    },
    ...runtime,
  };
  const app = ingressApp(full, { bodyLimit: 64, admit });
  let viaFastify = 0;
  app.addHook("onRequest", (_request, _reply, done) => {
    viaFastify++;
    done();
  });
  let closing = false;
  app.addHook("preClose", (done) => {
    closing = true;
    done();
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  apps.push(app);
  // Every request the server emitted, after the ingress's own listener handled it.
  let emitted = 0;
  app.server.on("request", () => emitted++);
  const { port } = app.server.address() as AddressInfo;
  const send = (method: string, path: string, headers: Record<string, string | number>, body?: Buffer | string) =>
    new Promise<Answer>((resolve, reject) => {
      const req = http.request({ host: "127.0.0.1", port, method, path, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          // Every header but the date, in the order sent.
          const headers: string[] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) {
            if (res.rawHeaders[i]!.toLowerCase() !== "date") headers.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
          }
          resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString("latin1") });
        });
      });
      req.on("error", reject);
      req.end(body);
    });
  return { app, requests, send, viaFastify: () => viaFastify, closing: () => closing, emitted: () => emitted };
}

const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

/** The same request taken ahead of Fastify and (with a query parameter the fast path leaves alone) through it. */
async function bothWays(runtime: Partial<IngressRuntime>, admit?: (type: string) => void) {
  const server = await ingress(runtime, admit);
  const headers = { "content-type": VND, "content-length": BODY.length };
  const ahead = await server.send("POST", "/example/thing/x?await=50ms", headers, BODY);
  expect(server.viaFastify()).toBe(0);
  const through = await server.send("POST", "/example/thing/x?await=50ms&via=fastify", headers, BODY);
  expect(server.viaFastify()).toBe(1);
  return { ahead, through, requests: server.requests };
}

describe("awaited ingress requests taken ahead of Fastify", () => {
  it("answers the reply as the Fastify route does, and ingests the same request", async () => {
    const { ahead, through, requests } = await bothWays({});
    expect(ahead.status).toBe(200);
    expect(ahead.headers).toContain("content-type: application/vnd.example/Reply");
    expect(ahead.body).toBe("\u0001\u0002");
    expect(ahead).toEqual(through);
    expect(requests).toHaveLength(2);
    expect(requests[0]).toEqual(requests[1]);
    expect(requests[0]).toEqual({
      target: { namespace: "example", type: "thing", id: "x" },
      argument: { typename: "example/Thing", value: Buffer.from(BODY) },
      idempotencyKey: undefined,
      awaitReply: true,
    });
  });

  it("answers replies of every byte, small and large, and strings, byte for byte", async () => {
    const every = new Uint8Array(256).map((_, i) => i);
    const large = new Uint8Array(10_000).map((_, i) => (i * 7) % 256);
    const replies = [
      { typename: "example/Reply", value: every },
      { typename: "example/Reply", value: large },
      { typename: "example/Reply", value: new Uint8Array(0) },
      { typename: BuiltinTypeNames.string, value: StringCodec.encode("héllo") },
    ];
    for (const reply of replies) {
      const { ahead, through } = await bothWays({
        ingest: async () => ({ requestId: "req-2", duplicate: false, reply: async () => reply }),
      });
      expect(ahead).toEqual(through);
      if (reply.typename === BuiltinTypeNames.string) {
        expect(ahead.headers).toContain("content-type: text/plain; charset=utf-8");
        expect(Buffer.from(ahead.body, "latin1").toString("utf8")).toBe("héllo");
      } else {
        expect(ahead.headers).toContain(`content-length: ${reply.value.byteLength}`);
        expect(Buffer.from(ahead.body, "latin1").equals(Buffer.from(reply.value))).toBe(true);
      }
    }
  });

  it("answers a timeout, a refused admission and a failed ingest as the Fastify route does", async () => {
    const noReply = await bothWays({
      ingest: async () => ({ requestId: "req-9", duplicate: false, reply: async () => undefined }),
    });
    expect(noReply.ahead.status).toBe(504);
    expect(noReply.ahead.headers).toContain("statefun-request-id: req-9");
    expect(JSON.parse(noReply.ahead.body)).toMatchObject({ code: "STATEFUN_TIMEOUT", requestId: "req-9" });
    expect(noReply.ahead).toEqual(noReply.through);

    const full = await bothWays({}, () => {
      throw new HttpError(507, "STATEFUN_DISK_FULL", "disk full", { "retry-after": "10" });
    });
    expect(full.ahead.status).toBe(507);
    expect(full.ahead.headers).toContain("retry-after: 10");
    expect(full.ahead).toEqual(full.through);
    expect(full.requests).toHaveLength(0);

    for (const error of [new StatefunError("STATEFUN_OVERLOADED", "busy", { terminal: false }), new Error("broken")]) {
      const failed = await bothWays({
        ingest: async () => {
          throw error;
        },
      });
      expect(failed.ahead.status).toBe(error instanceof StatefunError ? 503 : 500);
      expect(failed.ahead).toEqual(failed.through);
    }
    // A runtime whose ingest throws instead of rejecting: a 500 too, not a crash of the server.
    const thrown = await bothWays({
      ingest: () => {
        throw new Error("thrown");
      },
    });
    expect(thrown.ahead.status).toBe(500);
    expect(thrown.ahead).toEqual(thrown.through);
  });

  it("passes every other request to Fastify", async () => {
    const server = await ingress({});
    const vnd = { "content-type": VND, "content-length": BODY.length };
    const others: [string, string, Record<string, string | number>, (Buffer | string)?][] = [
      ["POST", "/example/thing/x", vnd, BODY], // not awaited
      ["POST", "/example/thing/x?await=soon", vnd, BODY], // an invalid ?await: 400
      ["POST", "/example/thing/x%20y?await=5s", vnd, BODY], // a %-escape
      ["POST", "/example/thing/x?await=5s", { ...vnd, "idempotency-key": "k" }, BODY],
      ["POST", "/example/thing/x?await=5s", { "content-type": "text/plain", "content-length": 1 }, "x"], // a string message
      ["POST", "/example/thing/x?await=5s", { "content-type": "application/vnd.bad", "content-length": 1 }, "x"], // 400
      ["POST", "/example/thing/x?await=5s", { "content-type": VND, "transfer-encoding": "chunked" }, BODY],
      ["POST", "/example/thing/x?await=5s", { "content-type": VND, "content-length": 65 }, Buffer.alloc(65)], // 413
      ["POST", "/example//x?await=5s", vnd, BODY], // an empty segment: 400
      ["POST", "/example/thing/x/y?await=5s", vnd, BODY], // four segments: 404
      ["POST", "/shop/orders/in?await=5s", { "content-type": VND, "content-length": 12 }, '{"user":"a"}'], // a module's ingress
      ["GET", "/example/thing/x?await=5s", {}], // 404
    ];
    const statuses: number[] = [];
    for (const [method, path, headers, body] of others) statuses.push((await server.send(method, path, headers, body)).status);
    expect(server.viaFastify()).toBe(others.length);
    expect(statuses).toEqual([202, 400, 200, 200, 200, 400, 200, 413, 400, 404, 200, 404]);
  });

  it("leaves requests to Fastify once the server is closing (which refuses them)", async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let ingested = 0;
    const server = await ingress({
      async ingest(): Promise<IngestReceipt> {
        ingested++;
        return {
          requestId: "req-1",
          duplicate: false,
          reply: async () => {
            await held;
            return { typename: "example/Reply", value: new Uint8Array([1]) };
          },
        };
      },
    });
    const { port } = server.app.server.address() as AddressInfo;
    // A second request on the connection of an awaited one still in progress, sent once the server is closing.
    const request = Buffer.concat([
      Buffer.from(`POST /example/thing/x?await=5s HTTP/1.1\r\nHost: x\r\nContent-Type: ${VND}\r\nContent-Length: ${BODY.length}\r\n\r\n`),
      BODY,
    ]);
    const socket = net.connect(port, "127.0.0.1");
    let received = "";
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
    });
    const ended = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    socket.write(request);
    await until(() => ingested === 1, "the first request ingested");
    const closed = server.app.close();
    apps.splice(apps.indexOf(server.app), 1);
    await until(server.closing, "the server closing");
    socket.write(request);
    await until(() => server.emitted() === 2, "the second request handled");
    release();
    await ended;
    await closed;
    // The first answered; the second refused by Fastify (its 503 may not make it out before the connection closes).
    const statuses = [...received.matchAll(/^HTTP\/1\.1 (\d+)/gm)].map((m) => Number(m[1]));
    expect(statuses[0]).toBe(200);
    expect(statuses.slice(1).filter((status) => status !== 503)).toEqual([]);
    expect(ingested).toBe(1);
  });
});
