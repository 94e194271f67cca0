import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Runtime } from "@statefun-ts/runtime";
import { jsonType, statefulFunction, statefunModule, Types, valueSpec } from "@statefun-ts/sdk";
import { SqliteStore } from "@statefun-ts/store-sqlite";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ingressApp } from "./ingress.js";

const seen = valueSpec("seen", Types.string);
const Other = jsonType<string>("test/Other");
/** Appends every message to its state, and replies to a waiting caller with what it has seen. */
const log = statefulFunction({
  typename: "test/log",
  state: { seen },
  accepts: [Types.string, Other],
  handler(ctx, message) {
    const text = message.is(Types.string) ? message.as(Types.string) : `other:${message.as(Other)}`;
    const next = `${ctx.state.seen.get() ?? ""}${text};`;
    ctx.state.seen.set(next);
    if (ctx.caller?.namespace === "statefun.ingress") ctx.reply(Types.string, next);
  },
});

let dir: string;
let runtime: Runtime;
let app: FastifyInstance;
let base: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "statefun-idem-"));
  runtime = new Runtime({ store: new SqliteStore({ dir }), modules: [statefunModule({ functions: [log] })] });
  await runtime.start();
  app = ingressApp(runtime);
  await app.listen({ host: "127.0.0.1", port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await app.close();
  await runtime.stop();
  rmSync(dir, { recursive: true, force: true });
});

const put = (path: string, body: string, key: string, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, { method: "PUT", body, headers: { "idempotency-key": key, ...headers } });

async function seenBy(id: string): Promise<string | undefined> {
  const value = (await runtime.readState(log.at(id))).find((s) => s.name === "seen");
  return value && Types.string.deserialize(value.value);
}

async function until(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("Idempotency-Key", () => {
  it("is scoped by target: the same key to another address is another request", async () => {
    const a = await put("/test/log/a", "one", "k");
    const b = await put("/test/log/b", "two", "k");
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(b.headers.get("statefun-duplicate")).toBeNull();
    expect(((await b.json()) as { requestId: string }).requestId).not.toBe(((await a.json()) as { requestId: string }).requestId);
    await until(async () => (await seenBy("b")) === "two;");
    expect(await seenBy("a")).toBe("one;");
  });

  it("answers 422 STATEFUN_IDEMPOTENCY_CONFLICT when reused with another body or type, and delivers nothing more", async () => {
    const first = await put("/test/log/a", "one", "k");
    expect(first.status).toBe(202);
    const otherBody = await put("/test/log/a", "two", "k");
    expect(otherBody.status).toBe(422);
    const error = (await otherBody.json()) as { code: string; error: string };
    expect(error.code).toBe("STATEFUN_IDEMPOTENCY_CONFLICT");
    expect(error.error).toContain('Idempotency-Key "k"');
    expect(error.error).toContain("test/log/a");
    const otherType = await put("/test/log/a", '"one"', "k", { "content-type": "application/vnd.test/Other" });
    expect(otherType.status).toBe(422);
    const bodyOfOtherType = await put("/test/log/a", "one", "k", { "content-type": "application/vnd.test/Other" });
    expect(bodyOfOtherType.status).toBe(422);
    const same = await put("/test/log/a", "one", "k");
    expect(same.status).toBe(202);
    expect(same.headers.get("statefun-duplicate")).toBe("true");
    await put("/test/log/a", "last", "k2");
    await until(async () => (await seenBy("a")) === "one;last;");
  });

  it("answers a retry of an awaited request with the original reply", async () => {
    const first = await put("/test/log/a?await=5s", "one", "k");
    expect(first.status).toBe(200);
    expect(await first.text()).toBe("one;");
    await put("/test/log/a", "two", "k2");
    await until(async () => (await seenBy("a")) === "one;two;");
    const retry = await put("/test/log/a?await=5s", "one", "k");
    expect(retry.status).toBe(200);
    expect(retry.headers.get("statefun-duplicate")).toBe("true");
    expect(retry.headers.get("statefun-request-id")).toBe(first.headers.get("statefun-request-id"));
    expect(await retry.text()).toBe("one;");
  });
});
