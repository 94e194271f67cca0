import { type AddressInfo, createServer, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type RemoteBinding, remoteBinding } from "./binding.js";
import { type FakeEndpoint, fakeEndpoint, type RawReply, result } from "./fixtures/fake-endpoint.js";
import { invokeRequest, openStateSpecs, rejection, str } from "./fixtures/invoke.js";
import { backoffMs, retryableStatus } from "./retry.js";
import type { HttpEndpointSpec } from "./spec.js";

let endpoint: FakeEndpoint | undefined;
let binding: RemoteBinding | undefined;
afterEach(async () => {
  await binding?.close();
  await endpoint?.close();
  binding = endpoint = undefined;
});

async function bind(reply: (n: number) => ReturnType<typeof result> | RawReply, spec: Partial<HttpEndpointSpec> = {}) {
  const { stateSpecs } = await openStateSpecs();
  endpoint = await fakeEndpoint((_batch, n) => reply(n));
  binding = remoteBinding({ functions: "py/greeter", urlPathTemplate: endpoint.url, ...spec }, { specs: stateSpecs });
  return binding;
}

const call = (b: RemoteBinding, state = {}) => b.invoker.invoke(invokeRequest("py/greeter", "bob", [{ argument: str("hi") }], state));

describe("remote retries", () => {
  it("retry a 500 until the function answers", async () => {
    const b = await bind((n) => (n <= 2 ? { status: 500, body: "busy" } : result()));
    await expect(call(b)).resolves.toMatchObject({ messages: [] });
    expect(endpoint!.batches).toHaveLength(3);
  });

  it("give up after the call budget with the attempts, the time and the last status and body", async () => {
    const b = await bind(() => ({ status: 503, body: `overloaded ${"x".repeat(300)}` }), { timeouts: { callMs: 300 } });
    const started = Date.now();
    const error = await rejection(call(b));
    expect(Date.now() - started).toBeLessThan(1500);
    expect(error.code).toBe("STATEFUN_FUNCTION_FAILED");
    expect(error.terminal).toBe(true);
    // An attempt still under way when the budget runs out (a busy machine) adds what ended it.
    expect(error.message).toMatch(
      /^py\/greeter at http:\/\/127\.0\.0\.1:\d+\/statefun: failed \d+ attempts over \d+\.\ds, last: HTTP 503: overloaded x{189}(; then the call budget of 300 ms ran out)?$/,
    );
    expect(endpoint!.batches.length).toBeGreaterThan(2);
  });

  it("fail at once on a 404, a non-protobuf body and an oversized body", async () => {
    const b = await bind(
      (n) =>
        n === 1
          ? { status: 404, body: "no such function" }
          : n === 2
            ? { status: 200, body: "<html>login</html>", contentType: "text/html" }
            : { status: 200, body: new Uint8Array(200), contentType: "application/octet-stream" },
      { payloadMaxBytes: 100 },
    );
    expect((await rejection(call(b))).message).toMatch(/statefun: HTTP 404: no such function$/);
    expect((await rejection(call(b))).message).toContain(
      "statefun: the response is not a FromFunction message (18 bytes, Content-Type text/html): <html>login</html>",
    );
    expect((await rejection(call(b))).message).toContain("statefun: the response body exceeds payloadMaxBytes (100 bytes)");
    expect(endpoint!.batches).toHaveLength(3);
  });

  it("retry read timeouts within the budget", async () => {
    // undici's read timers tick about once a second: 50 ms fire within ~1 s.
    const b = await bind(() => "hang", { timeouts: { readMs: 50, callMs: 2500 } });
    const error = await rejection(call(b));
    expect(error.message).toContain("last: read timeout (no response headers): Headers Timeout Error");
    expect(endpoint!.batches.length).toBeGreaterThan(1);
  });

  it("cut an attempt short when the call budget runs out", async () => {
    const b = await bind(() => "hang", { timeouts: { callMs: 150 } });
    expect((await rejection(call(b))).message).toMatch(
      /failed 1 attempt over \d+\.\ds, last: no response before the call budget of 150 ms ran out$/,
    );
  });

  it("retry refused connections within the budget", async () => {
    const b = await bind(() => result(), { timeouts: { callMs: 200 } });
    await endpoint!.close();
    endpoint = undefined;
    expect((await rejection(call(b))).message).toMatch(/failed \d+ attempts over \d+\.\ds, last: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
  });

  it("time out a request write the endpoint does not read", async () => {
    const sockets: Socket[] = [];
    const server = createServer((socket) => {
      socket.pause();
      sockets.push(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    // A state value too big for the socket buffers: the write stalls.
    const big = { typename: "io.statefun.types/string", value: new Uint8Array(48 * 1024 * 1024) };
    const specs = [{ name: "big", typename: big.typename, expiration: { mode: "none" as const } }];
    const b = remoteBinding(
      {
        functions: "py/greeter",
        urlPathTemplate: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
        timeouts: { writeMs: 100, callMs: 1500 },
      },
      { specs: { get: () => specs, register: async () => {} } },
    );
    try {
      const error = await rejection(call(b, { big }));
      expect(error.message).toMatch(/last: write timeout: the request was not sent within 100 ms(; then the call budget .*)?$/);
    } finally {
      await b.close();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("classify statuses as StateFun does and back off from 10 ms to 1 s", () => {
    expect([408, 409, 420, 429, 499, 500, 502, 503, 504, 599].every(retryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 405, 410, 413, 422, 301].some(retryableStatus)).toBe(false);
    expect(backoffMs(1)).toBeGreaterThanOrEqual(5);
    expect(backoffMs(1)).toBeLessThanOrEqual(10);
    expect(backoffMs(30)).toBeGreaterThanOrEqual(500);
    expect(backoffMs(30)).toBeLessThanOrEqual(1000);
  });
});
