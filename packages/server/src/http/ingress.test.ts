import { BuiltinTypeNames, StatefunError, StringCodec, type TypedValue } from "@statefun-ts/protocol";
import type { IngestReceipt, IngestRequest } from "@statefun-ts/runtime";
import { httpIngress, jsonType } from "@statefun-ts/sdk";
import { str as text } from "@statefun-ts/test-kit";
import { describe, expect, it } from "vitest";
import { type IngressRuntime, ingressApp } from "./ingress.js";

const Order = jsonType<{ user: string; item: string }>("shop/Order", {
  schema: (v): v is { user: string; item: string } => typeof (v as { user?: unknown }).user === "string",
});

/** A fake runtime with exactly the methods the ingress uses. */
function fake(options: { reply?: TypedValue; fail?: unknown; duplicateOf?: string } = {}) {
  const requests: IngestRequest[] = [];
  const waits: number[] = [];
  const replies = new Map<string, TypedValue>();
  let n = 0;
  const runtime: IngressRuntime = {
    ingresses: () => [httpIngress({ path: "/orders", type: Order, route: (o) => [{ namespace: "shop", type: "cart", id: o.user }] })],
    getReply: async (id) => replies.get(id),
    async ingest(request): Promise<IngestReceipt> {
      if (options.fail !== undefined) throw options.fail;
      requests.push(request);
      const requestId = options.duplicateOf ?? `req-${++n}`;
      const reply = request.awaitReply
        ? async (ms: number) => {
            waits.push(ms);
            return options.reply;
          }
        : undefined;
      return { requestId, duplicate: options.duplicateOf !== undefined, reply };
    },
  };
  return { runtime, requests, waits, replies };
}

describe("ingress", () => {
  it("takes the typename from Content-Type application/vnd.{typename} and answers 202 after ingest", async () => {
    const { runtime, requests } = fake();
    const app = ingressApp(runtime);
    const res = await app.inject({
      method: "PUT",
      url: "/example/greeter/bob",
      headers: { "content-type": "application/vnd.example/GreetRequest; charset=utf-8" },
      payload: Buffer.from([1, 2, 3]),
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ requestId: "req-1" });
    expect(requests).toHaveLength(1);
    expect(requests[0]!.target).toEqual({ namespace: "example", type: "greeter", id: "bob" });
    expect(requests[0]!.argument.typename).toBe("example/GreetRequest");
    expect([...requests[0]!.argument.value]).toEqual([1, 2, 3]);
    expect(requests[0]!.awaitReply).toBe(false);
  });

  it("wraps a body without a vnd type as StateFun's string, and URL-decodes the path", async () => {
    const { runtime, requests } = fake();
    const app = ingressApp(runtime);
    for (const headers of [{}, { "content-type": "text/plain" }]) {
      const res = await app.inject({ method: "POST", url: "/example/greeter/b%C3%B6b%2Fx", headers, payload: "héllo" });
      expect(res.statusCode).toBe(202);
    }
    for (const request of requests) {
      expect(request.target.id).toBe("böb/x");
      expect(request.argument.typename).toBe(BuiltinTypeNames.string);
      expect(StringCodec.decode(request.argument.value)).toBe("héllo");
    }
  });

  it("passes the Idempotency-Key through and marks duplicates", async () => {
    const { runtime, requests } = fake({ duplicateOf: "first" });
    const res = await ingressApp(runtime).inject({ method: "PUT", url: "/a/b/c", headers: { "idempotency-key": "k-1" }, payload: "x" });
    expect(requests[0]!.idempotencyKey).toBe("k-1");
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ requestId: "first" });
    expect(res.headers["statefun-duplicate"]).toBe("true");
  });

  it("answers ?await with the reply: strings as text/plain, other types as raw bytes", async () => {
    const { runtime, requests, waits } = fake({ reply: text("Hello bob") });
    const res = await ingressApp(runtime).inject({ method: "PUT", url: "/a/b/c?await=5s", payload: "x" });
    expect(requests[0]!.awaitReply).toBe(true);
    expect(waits).toEqual([5000]);
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(res.body).toBe("Hello bob");

    const typed = fake({ reply: { typename: "example/Greeting", value: new Uint8Array([9, 8]) } });
    const res2 = await ingressApp(typed.runtime).inject({ method: "PUT", url: "/a/b/c?await=100ms", payload: "x" });
    expect(res2.statusCode).toBe(200);
    expect(res2.headers["content-type"]).toBe("application/vnd.example/Greeting");
    expect([...res2.rawPayload]).toEqual([9, 8]);
  });

  it("answers 504 with the request id when no reply comes in time, and serves it later", async () => {
    const { runtime, replies } = fake();
    const app = ingressApp(runtime);
    const res = await app.inject({ method: "PUT", url: "/a/b/c?await=1ms", payload: "x" });
    expect(res.statusCode).toBe(504);
    expect(res.json()).toMatchObject({ requestId: "req-1", code: "STATEFUN_TIMEOUT" });
    expect(res.json().error).toContain("/replies/req-1");

    expect((await app.inject({ method: "GET", url: "/replies/req-1" })).statusCode).toBe(404);
    replies.set("req-1", text("late"));
    const later = await app.inject({ method: "GET", url: "/replies/req-1" });
    expect(later.statusCode).toBe(200);
    expect(later.body).toBe("late");
  });

  it("rejects a bad ?await, a bad typename and malformed paths with JSON errors", async () => {
    const { runtime, requests } = fake();
    const app = ingressApp(runtime);
    const badAwait = await app.inject({ method: "PUT", url: "/a/b/c?await=soon", payload: "x" });
    expect(badAwait.statusCode).toBe(400);
    expect(badAwait.json().error).toContain("soon");

    const badType = await app.inject({
      method: "PUT",
      url: "/a/b/c",
      headers: { "content-type": "application/vnd.nonamespace" },
      payload: "x",
    });
    expect(badType.statusCode).toBe(400);
    expect(badType.json()).toMatchObject({ code: "STATEFUN_BAD_TYPENAME" });
    expect(badType.json().error).toContain("nonamespace");

    for (const url of ["/a/b", "/a/b/c/d", "/"]) {
      const res = await app.inject({ method: "PUT", url, payload: "x" });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error, url).toContain(url);
    }
    const empty = await app.inject({ method: "PUT", url: "/a//c", payload: "x" });
    expect(empty.statusCode).toBe(400);
    const badEncoding = await app.inject({ method: "PUT", url: "/a/b/%E0%A4%A", payload: "x" });
    expect(badEncoding.statusCode).toBe(400);
    const slashInType = await app.inject({ method: "PUT", url: "/a/b%2Fx/c", payload: "x" });
    expect(slashInType.statusCode).toBe(400);
    expect(slashInType.json()).toEqual({
      code: "STATEFUN_BAD_ADDRESS",
      error: 'path "/a/b%2Fx/c": function type "b/x" may not contain "/"',
    });
    expect(requests).toHaveLength(0);
  });

  it("answers 413 for a body over the limit", async () => {
    const { runtime, requests } = fake();
    const app = ingressApp(runtime, { bodyLimit: 10 });
    const res = await app.inject({ method: "PUT", url: "/a/b/c", payload: "x".repeat(11) });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ error: "the request body is larger than the limit of 10 bytes", code: "STATEFUN_BODY_TOO_LARGE" });
    expect(requests).toHaveLength(0);
  });

  it("maps engine errors: overload 503 with Retry-After, bad message 400, closed 503", async () => {
    const cases: [StatefunError, number][] = [
      [new StatefunError("STATEFUN_OVERLOADED", "overloaded: 10 waiting"), 503],
      [new StatefunError("STATEFUN_BAD_MESSAGE", "example/greeter does not accept x/y"), 400],
      [new StatefunError("STATEFUN_BAD_ADDRESS", "bad address"), 400],
      [new StatefunError("STATEFUN_CLOSED", "the runtime is stopping"), 503],
    ];
    for (const [error, status] of cases) {
      const res = await ingressApp(fake({ fail: error }).runtime).inject({ method: "PUT", url: "/a/b/c", payload: "x" });
      expect(res.statusCode, error.code).toBe(status);
      expect(res.json()).toEqual({ error: error.message, code: error.code });
      expect(res.headers["retry-after"]).toBe(error.code === "STATEFUN_OVERLOADED" ? "1" : undefined);
    }
  });

  it("routes module ingress paths ahead of the address pattern", async () => {
    const { runtime, requests } = fake();
    const app = ingressApp(runtime);
    const res = await app.inject({ method: "POST", url: "/orders", payload: { user: "ann", item: "tea" } });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ requestId: "req-1" });
    expect(requests[0]!.target).toEqual({ namespace: "shop", type: "cart", id: "ann" });
    expect(requests[0]!.argument.typename).toBe("shop/Order");
    expect(JSON.parse(Buffer.from(requests[0]!.argument.value).toString())).toEqual({ user: "ann", item: "tea" });

    const bad = await app.inject({ method: "POST", url: "/orders", payload: "{not json" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toContain("shop/Order");
    const wrongShape = await app.inject({ method: "POST", url: "/orders", payload: { item: "tea" } });
    expect(wrongShape.statusCode).toBe(400);
    expect(requests).toHaveLength(1);
  });
});
