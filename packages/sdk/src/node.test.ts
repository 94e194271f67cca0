import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { statefunModule } from "./module.js";
import { type RunningServer, serve } from "./node.js";
import { observeResponse, toFunctionBytes } from "./serve/fixtures.js";
import { counter, shop, typed } from "./serve/scenarios.js";
import { Types } from "./types.js";

const batch = (argument = typed(Types.int, 2)) =>
  toFunctionBytes({ target: counter.at("a"), state: { count: typed(Types.int, 1), name: undefined }, invocations: [{ argument }] });

describe("node host on a real loopback server", () => {
  let server: RunningServer;
  const errors: unknown[] = [];
  beforeAll(async () => {
    server = await serve(statefunModule({ functions: [counter, shop] }), { port: 0, maxBodyBytes: 4096, onError: (e) => errors.push(e) });
  });
  afterAll(() => server.close());

  it("listens on loopback and reports its URL", () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
  });

  it("answers a batch POSTed to /{function.name} with the FromFunction bytes", async () => {
    const response = await fetch(`${server.url}example/counter`, { method: "POST", body: batch() });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/octet-stream");
    expect(observeResponse(new Uint8Array(await response.arrayBuffer())).state).toEqual({ count: typed(Types.int, 3) });
  });

  it("answers 500 with the error text when the batch fails", async () => {
    const response = await fetch(server.url, { method: "POST", body: batch(typed(Types.string, "boom")) });
    expect(response.status).toBe(500);
    expect(response.headers.get("statefun-error-code")).toBe("STATEFUN_FUNCTION_FAILED");
    expect(await response.text()).toMatch(/failed: boom: the handler failed$/);
    expect(errors).toHaveLength(1);
  });

  it("answers 404 with the reason for a function type it does not serve", async () => {
    const body = toFunctionBytes({
      target: { namespace: "example", type: "nope", id: "a" },
      state: {},
      invocations: [{ argument: typed(Types.int, 1) }],
    });
    const response = await fetch(`${server.url}example/nope`, { method: "POST", body });
    expect(response.status).toBe(404);
    expect(response.headers.get("statefun-error-code")).toBe("STATEFUN_UNKNOWN_TYPE");
    expect(await response.text()).toContain("no function example/nope is served here");
  });

  it("answers 422 with the reason for a message the function can never take (a type it does not accept, bytes that do not decode)", async () => {
    for (const argument of [typed(Types.bool, true), { typename: Types.int.typename, value: new Uint8Array([0xff]) }]) {
      const response = await fetch(`${server.url}example/counter`, { method: "POST", body: batch(argument) });
      expect(response.status).toBe(422);
      expect(response.headers.get("statefun-error-code")).toBe("STATEFUN_BAD_MESSAGE");
      expect(await response.text()).toMatch(
        /example\/counter (does not accept messages of type io\.statefun\.types\/bool|rejects a io\.statefun\.types\/int message)/,
      );
    }
  });

  it("answers 405 to anything but POST", async () => {
    const response = await fetch(`${server.url}example/counter`);
    expect([response.status, response.headers.get("allow")]).toEqual([405, "POST"]);
  });

  it("answers 413 past the size limit and keeps serving", async () => {
    const response = await fetch(server.url, { method: "POST", body: new Uint8Array(10_000) });
    expect(response.status).toBe(413);
    const chunks = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new Uint8Array(1024)); // never ends: the server must stop reading
      },
    });
    const chunked = await fetch(server.url, { method: "POST", body: chunks, duplex: "half" } as RequestInit);
    expect(chunked.status).toBe(413);
    const after = await fetch(server.url, { method: "POST", body: batch() });
    expect(after.status).toBe(200);
  });

  it("refuses a port in use", async () => {
    await expect(serve(counter, { port: server.port })).rejects.toThrow(/EADDRINUSE/);
  });
});
