import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RemoteBinding, remoteBinding } from "./binding.js";
import { generateCerts, type TestCerts } from "./fixtures/certs.js";
import { type FakeEndpoint, fakeEndpoint, result } from "./fixtures/fake-endpoint.js";
import { invokeRequest, openStateSpecs, rejection, str } from "./fixtures/invoke.js";
import type { HttpEndpointSpec } from "./spec.js";

let endpoint: FakeEndpoint | undefined;
let binding: RemoteBinding | undefined;
let certs: TestCerts;
let dir: string;
beforeAll(() => {
  certs = generateCerts();
  dir = mkdtempSync(join(tmpdir(), "statefun-remote-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await binding?.close();
  await endpoint?.close();
  binding = endpoint = undefined;
});

async function bind(url: string, spec: Partial<HttpEndpointSpec> = {}) {
  binding = remoteBinding({ functions: "py/greeter", urlPathTemplate: url, ...spec }, { specs: (await openStateSpecs()).stateSpecs });
  return binding;
}

const call = (b: RemoteBinding, id = "bob") => b.invoker.invoke(invokeRequest("py/greeter", id, [{ argument: str("hi") }]));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("remote transport", () => {
  it("keeps connections alive and reuses them", async () => {
    endpoint = await fakeEndpoint(() => result());
    const b = await bind(endpoint.url);
    for (let i = 0; i < 6; i++) await call(b);
    expect(endpoint.batches).toHaveLength(6);
    // undici's pool frees a connection a tick after its response ends: a request sent at once may open a second one.
    expect(endpoint.connections).toBeLessThanOrEqual(2);
    await b.close();
    const before = endpoint.connections;
    const single = await bind(endpoint.url, { poolSize: 1 });
    for (let i = 0; i < 6; i++) await call(single);
    expect(endpoint.connections - before).toBe(1);
  });

  it("opens at most poolSize connections per origin, and serves every address concurrently", async () => {
    let inFlight = 0;
    let most = 0;
    endpoint = await fakeEndpoint(async () => {
      most = Math.max(most, ++inFlight);
      await sleep(30);
      inFlight--;
      return result();
    });
    const b = await bind(endpoint.url, { poolSize: 2 });
    await Promise.all(Array.from({ length: 8 }, (_, i) => call(b, `id-${i}`)));
    expect(endpoint.batches).toHaveLength(8);
    expect(endpoint.connections).toBe(2);
    expect(most).toBe(2);
  });

  it("keeps at most poolSize requests in flight per origin it calls (Invoker.maxInFlight)", async () => {
    const other = await fakeEndpoint(() => result(), { socketPath: join(dir, "b.sock") });
    try {
      endpoint = await fakeEndpoint(() => result(), { socketPath: join(dir, "a.sock") });
      const specs = (await openStateSpecs()).stateSpecs;
      binding = remoteBinding({ functions: "py/*", urlPathTemplate: `http+unix://${dir}/{function.name}.sock/`, poolSize: 3 }, { specs });
      expect(binding.invoker.maxInFlight).toBe(3);
      await binding.invoker.invoke(invokeRequest("py/a", "x", [{ argument: str("hi") }]));
      expect(binding.invoker.maxInFlight).toBe(3);
      await binding.invoker.invoke(invokeRequest("py/b", "x", [{ argument: str("hi") }]));
      expect(binding.invoker.maxInFlight).toBe(6);
      expect([endpoint.batches.length, other.batches.length]).toEqual([1, 1]);
    } finally {
      await binding?.close();
      binding = undefined;
      await other.close();
    }
  });

  it("speaks HTTP over a Unix socket (http+unix)", async () => {
    const socketPath = join(dir, "functions.sock");
    endpoint = await fakeEndpoint(() => result(), { socketPath, path: "/statefun/{function.name}?v=3" });
    expect(endpoint.url).toBe(`http+unix://${socketPath}/statefun/{function.name}?v=3`);
    const b = await bind(endpoint.url);
    await call(b);
    await call(b);
    expect(endpoint.paths).toEqual(["/statefun/greeter?v=3", "/statefun/greeter?v=3"]);
    expect(endpoint.connections).toBeLessThanOrEqual(2);
  });

  it("speaks HTTPS with mutual TLS", async () => {
    endpoint = await fakeEndpoint(() => result(), {
      tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, requestCert: true },
    });
    const b = await bind(endpoint.url, {
      poolSize: 1,
      tls: { ca: certs.ca, cert: certs.clientCert, key: new TextEncoder().encode(certs.clientKey) },
    });
    await call(b);
    await call(b);
    expect(endpoint.batches).toHaveLength(2);
    expect(endpoint.connections).toBe(1);
  });

  it("fails at once on a server certificate it cannot verify, and retries a refused client certificate", async () => {
    endpoint = await fakeEndpoint(() => result(), {
      tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, requestCert: true },
    });
    const untrusted = await bind(endpoint.url, { timeouts: { callMs: 5000 } });
    const error = await rejection(call(untrusted));
    expect(error.terminal).toBe(true);
    expect(error.message).toMatch(/^py\/greeter at https:\/\/127\.0\.0\.1:\d+\/statefun: .*(self[- ]signed|unable to verify|UNABLE_TO)/i);
    expect(endpoint.batches).toHaveLength(0);
    await untrusted.close();

    const anonymous = await bind(endpoint.url, { tls: { ca: certs.ca }, timeouts: { callMs: 200 } });
    expect((await rejection(call(anonymous))).message).toMatch(/failed \d+ attempts? over \d+\.\ds, last: /);
    expect(endpoint.batches).toHaveLength(0);
  });
});
