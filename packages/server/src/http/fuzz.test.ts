import { Runtime, silentLogger } from "@statefun-ts/runtime";
import { MemoryStore } from "@statefun-ts/runtime/testing";
import fc from "fast-check";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LiveModules } from "../dynamic/live-modules.js";
import greeterModule from "../fixtures/greeter-module.js";
import { adminApp } from "./admin.js";
import { ingressApp } from "./ingress.js";

/** An error answer of any server: a 4xx (or 503/504 under load or timeout) with {"error", "code"}; never a 500. */
function expectCleanAnswer(status: number, body: string, what: string): void {
  if (status < 400) return;
  expect(status, `${what}: ${body}`).not.toBe(500);
  expect([...Array.from({ length: 100 }, (_, i) => 400 + i), 503, 504, 507], `${what}: ${status} ${body}`).toContain(status);
  const parsed = JSON.parse(body) as { error?: unknown; code?: unknown };
  expect(typeof parsed.error, what).toBe("string");
  expect(String(parsed.code), what).toMatch(/^STATEFUN_[A-Z_]+$/);
}

const segment = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom("example", "greeter", "%2F", "%zz", "%", "..", "*", "a%2Fb", "%C3%A9", ""),
);
const path = fc.array(segment, { minLength: 0, maxLength: 5 }).map((parts) => `/${parts.join("/")}`);
const query = fc.option(
  fc.oneof(
    fc.constantFrom("?await=1ms", "?await=25d", "?await=", "?await=-1s", "?await=abc", "?await=1ms&await=2ms"),
    fc.string({ maxLength: 10 }).map((s) => `?${s}`),
  ),
  { nil: "" },
);
const contentType = fc.option(
  fc.oneof(
    fc.constantFrom(
      "application/vnd.example/GreetRequest",
      "application/vnd.io.statefun.types/int",
      "application/vnd.",
      "application/vnd.a/b/c",
      "text/plain",
    ),
    fc.string({ maxLength: 30 }).filter((s) => /^[\x21-\x7e ]*$/.test(s)),
  ),
  { nil: undefined },
);
/** Paths light-my-request can inject (it parses them as URLs: `/\\` would name a host); a real client sends them raw. */
function injectable(url: string): boolean {
  try {
    return new URL(url, "http://localhost").host === "localhost";
  } catch {
    return false;
  }
}

const body = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => new TextEncoder().encode(JSON.stringify(v))),
);

describe("HTTP decoders of outside input (fuzzed, real runtime on a memory store)", () => {
  let runtime: Runtime;
  let live: LiveModules;
  let ingress: FastifyInstance;
  let admin: FastifyInstance;
  beforeAll(async () => {
    const store = new MemoryStore();
    runtime = new Runtime({ store, modules: [greeterModule], logger: silentLogger });
    await runtime.start();
    live = new LiveModules({
      runtime,
      store,
      logger: silentLogger,
      baseDir: process.cwd(),
      ingressPort: 8090,
      openIngress: async () => ({ close: async () => {} }),
      importTimeoutMs: 2000,
    });
    await live.start();
    ingress = ingressApp(runtime, { bodyLimit: 1024 });
    admin = adminApp(runtime, { dynamic: live });
  });
  afterAll(async () => {
    await ingress.close();
    await admin.close();
    await runtime.stop();
    await live.close();
  });

  it("the ingress answers any path, query, content type and body without a 500", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("PUT", "POST", "GET"), path, query, contentType, body, async (method, p, q, type, payload) => {
        fc.pre(injectable(p + q));
        const headers: Record<string, string> = type === undefined ? {} : { "content-type": type };
        const res = await ingress.inject({ method: method as "PUT", url: p + q, headers, payload: Buffer.from(payload) });
        expectCleanAnswer(res.statusCode, res.body, `${method} ${p}${q}`);
      }),
      { numRuns: 250 },
    );
  });

  it("the admin API answers any function binding, module and path without a 500", async () => {
    const functionBody = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc
        .record({ kind: fc.constantFrom("remote", "x"), url: fc.oneof(fc.webUrl(), fc.string({ maxLength: 20 })) })
        .map((v) => JSON.stringify(v)),
    );
    const moduleBody = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc
        .record({
          kind: fc.constantFrom("io.statefun.playground.v1/egress", "io.statefun.endpoints.v2/http", "io.statefun-ts.v1/module", "nope"),
          spec: fc.jsonValue({ maxDepth: 2 }),
        })
        .map((d) => JSON.stringify(d)),
    );
    const request = fc.oneof(
      fc.tuple(
        fc.constant("PUT"),
        path.map((p) => `/v1/functions${p}`),
        functionBody,
      ),
      fc.tuple(
        fc.constant("PUT"),
        segment.map((s) => `/v1/modules/${s}`),
        moduleBody,
      ),
      fc.tuple(
        fc.constantFrom("GET", "DELETE"),
        fc.oneof(
          path.map((p) => `/v1/functions${p}`),
          path.map((p) => `/v1/deadletters${p}`),
          path.map((p) => `/v1/state${p}`),
        ),
        fc.constant(""),
      ),
    );
    await fc.assert(
      fc.asyncProperty(request, async ([method, url, payload]) => {
        fc.pre(injectable(url));
        const res = await admin.inject({ method: method as "PUT", url, payload });
        expectCleanAnswer(res.statusCode, res.body, `${method} ${url} ${payload}`);
      }),
      { numRuns: 250 },
    );
  });
});
