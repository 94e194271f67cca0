import { BoolCodec, IntCodec, LongCodec, StringCodec } from "@statefun-ts/protocol";
import type { DeadLetter, StateView } from "@statefun-ts/runtime";
import { egressRef, jsonType, statefulFunction, Types, valueSpec } from "@statefun-ts/sdk";
import { describe, expect, it } from "vitest";
import { PrometheusMetrics } from "../metrics.js";
import { type AdminRuntime, adminApp } from "./admin.js";

const Profile = jsonType<{ name: string }>("example/Profile");
const greeter = statefulFunction({
  typename: "example/greeter",
  state: { seen: valueSpec("seen", Types.int), profile: valueSpec("profile", Profile, { expireAfterWrite: "1d" }) },
  accepts: [Types.string, Profile],
  handler() {},
});

const letter: DeadLetter = {
  id: 7,
  message: {
    seq: 3,
    keyGroup: 1,
    target: { namespace: "example", type: "greeter", id: "bob" },
    argument: { typename: "io.statefun.types/int", value: IntCodec.encode(5) },
  },
  error: "boom",
  attempts: 5,
  failedAt: Date.UTC(2025, 0, 1),
};

function fake(state: StateView[] = []) {
  const reads: unknown[] = [];
  const replayed: number[] = [];
  const listed: [number, number | undefined][] = [];
  const runtime: AdminRuntime & { ready: boolean } = {
    ready: false,
    async readState(address) {
      reads.push(address);
      return state;
    },
    async deadLetters(limit, after) {
      listed.push([limit, after]);
      return [letter];
    },
    async replayDeadLetter(id) {
      replayed.push(id);
      return id === 7;
    },
    async discardDeadLetters(ids) {
      return ids.filter((id) => id === 7).length;
    },
    functionTypes: () => ["example/greeter"],
    parkedByType: () => new Map([["example/other", 2]]),
    function: (t) => (t === "example/greeter" ? greeter : undefined),
    ingresses: () => [],
    egresses: () => [egressRef("greetings", Types.string)],
    gauges: () => ({ bufferedMessages: 1, inFlightInvocations: 2, pendingCommits: 3, cachedAddresses: 4, parkedMessages: 5 }),
    storeStats: async () => ({ messages: 42, timers: 6, egress: 7, deadLetters: 8 }),
  };
  return { runtime, reads, replayed, listed };
}

describe("admin", () => {
  it("shows an instance's state decoded to JSON", async () => {
    const expiresAt = Date.UTC(2030, 5, 1);
    const { runtime, reads } = fake([
      { name: "seen", typename: "io.statefun.types/int", value: IntCodec.encode(3) },
      { name: "big", typename: "io.statefun.types/long", value: LongCodec.encode(9007199254740993n) },
      { name: "flag", typename: "io.statefun.types/bool", value: BoolCodec.encode(true) },
      { name: "text", typename: "io.statefun.types/string", value: StringCodec.encode("hi") },
      { name: "profile", typename: "example/Profile", value: new TextEncoder().encode('{"name":"Bob"}'), expiresAt },
      { name: "blob", typename: "example/Blob", value: new Uint8Array([0xff, 0x00]) },
      { name: "proto", typename: "type.googleapis.com/x.Y", value: new TextEncoder().encode("1") },
    ]);
    const res = await adminApp(runtime).inject({ method: "GET", url: "/v1/state/example/greeter/b%2Fob" });
    expect(res.statusCode).toBe(200);
    expect(reads).toEqual([{ namespace: "example", type: "greeter", id: "b/ob" }]);
    expect(res.json()).toEqual({
      address: { namespace: "example", type: "greeter", id: "b/ob" },
      state: [
        { name: "seen", typename: "io.statefun.types/int", value: 3, expiresAt: null },
        { name: "big", typename: "io.statefun.types/long", value: "9007199254740993", expiresAt: null },
        { name: "flag", typename: "io.statefun.types/bool", value: true, expiresAt: null },
        { name: "text", typename: "io.statefun.types/string", value: "hi", expiresAt: null },
        { name: "profile", typename: "example/Profile", value: { name: "Bob" }, expiresAt: "2030-06-01T00:00:00.000Z" },
        { name: "blob", typename: "example/Blob", value: "/wA=", encoding: "base64", expiresAt: null },
        { name: "proto", typename: "type.googleapis.com/x.Y", value: "MQ==", encoding: "base64", expiresAt: null },
      ],
    });
    const bad = await adminApp(runtime).inject({ method: "GET", url: "/v1/state/example/greeter" });
    expect(bad.statusCode).toBe(404);
  });

  it("answers health always and readiness once the runtime is ready", async () => {
    const { runtime } = fake();
    const app = adminApp(runtime);
    expect((await app.inject({ method: "GET", url: "/healthz" })).json()).toEqual({ status: "ok" });
    expect((await app.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(503);
    runtime.ready = true;
    expect((await app.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200);
  });

  it("lists and replays dead letters, validating the query", async () => {
    const { runtime, replayed, listed } = fake();
    const app = adminApp(runtime);
    const list = await app.inject({ method: "GET", url: "/v1/deadletters?limit=10&after=2" });
    expect(listed).toEqual([[10, 2]]);
    expect(list.json()).toEqual([
      {
        id: 7,
        target: { namespace: "example", type: "greeter", id: "bob" },
        caller: null,
        argument: { typename: "io.statefun.types/int", value: 5 },
        error: "boom",
        attempts: 5,
        failedAt: "2025-01-01T00:00:00.000Z",
      },
    ]);
    const bad = await app.inject({ method: "GET", url: "/v1/deadletters?limit=abc" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toContain("limit");

    expect((await app.inject({ method: "POST", url: "/v1/deadletters/7/replay" })).json()).toEqual({ id: 7, replayed: true });
    expect((await app.inject({ method: "POST", url: "/v1/deadletters/8/replay" })).statusCode).toBe(404);
    expect(replayed).toEqual([7, 8]);
  });

  it("lists the loaded functions with the types they accept, their states, source and parked messages", async () => {
    const res = await adminApp(fake().runtime).inject({ method: "GET", url: "/v1/functions" });
    expect(res.json()).toEqual([
      {
        typename: "example/greeter",
        accepts: ["io.statefun.types/string", "example/Profile"],
        states: [
          { name: "seen", typename: "io.statefun.types/int", expiration: { mode: "none" } },
          { name: "profile", typename: "example/Profile", expiration: { mode: "after-write", millis: 86_400_000 } },
        ],
        source: "command line",
        parked: 0,
      },
      { typename: "example/other", accepts: [], states: [], source: "not loaded", parked: 2 },
    ]);
  });

  it("serves Prometheus metrics with the counters and the runtime's gauges", async () => {
    const { runtime } = fake();
    const metrics = new PrometheusMetrics();
    metrics.bind(runtime);
    metrics.count("ingress_messages", 3);
    metrics.count("invocations");
    metrics.observe("commit_batch_size", 12);
    const res = await adminApp(runtime, { metrics: metrics.registry }).inject({ method: "GET", url: "/metrics" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("text/plain");
    expect(res.body).toContain("statefun_ingress_messages_total 3");
    expect(res.body).toContain("statefun_invocations_total 1");
    expect(res.body).toContain("statefun_dead_letters_total 0");
    expect(res.body).toContain('statefun_commit_batch_size_bucket{le="20"} 1');
    expect(res.body).toContain("statefun_backlog_messages 42");
    expect(res.body).toContain("statefun_parked_messages 5");
    expect(res.body).toContain("process_cpu_user_seconds_total");
  });

  it("serves the console at / and its assets, with no external source", async () => {
    const app = adminApp(fake().runtime);
    const res = await app.inject({ method: "GET", url: "/" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(res.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(res.body).toContain('<script type="module" src="/assets/app.js">');
    expect(res.body).not.toMatch(/https?:\/\//);
    const script = await app.inject({ method: "GET", url: "/assets/app.js" });
    expect(script.statusCode).toBe(200);
    expect(script.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect((await app.inject({ method: "GET", url: "/assets/nothing.js" })).statusCode).toBe(404);
  });

  it("lists ingresses and egresses at /v1/io", async () => {
    const res = await adminApp(fake().runtime).inject({ method: "GET", url: "/v1/io" });
    expect(res.json()).toEqual({
      ingresses: [
        { kind: "http", route: "PUT|POST /{namespace}/{type}/{id}", messageType: "application/vnd.{typename}, else a string", port: null },
      ],
      egresses: [{ egress: "io.statefun.playground/egress", topic: "greetings", messageType: "io.statefun.types/string", port: null }],
    });
  });

  it("lists the Kafka ingresses and egresses at /v1/io, problem null when ready", async () => {
    const ingress = {
      id: "shop/orders",
      address: "127.0.0.1:9092",
      consumerGroupId: "shop",
      topics: ["orders"],
      problem: undefined,
      missing: [],
      assigned: ["orders/0"],
      paused: [],
      pauses: 2,
    };
    const egress = {
      id: "shop/out",
      address: "127.0.0.1:9092",
      deliverySemantic: "exactly-once" as const,
      problem: "connecting to the broker",
      delivering: false,
    };
    const app = adminApp(fake().runtime, { kafka: () => ({ ingresses: [ingress], egresses: [egress] }) });
    const res = await app.inject({ method: "GET", url: "/v1/io" });
    expect(res.json().kafka).toEqual({ ingresses: [{ ...ingress, problem: null }], egresses: [egress] });
  });
});
