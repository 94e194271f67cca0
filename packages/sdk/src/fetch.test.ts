import { decodeFromFunction } from "@statefun-ts/protocol";
import { describe, expect, it, vi } from "vitest";
import { fetchHandler, fetchHandlerWith } from "./fetch.js";
import { observeResponse, toFunctionBytes } from "./serve/fixtures.js";
import { counter, typed } from "./serve/scenarios.js";
import { Types } from "./types.js";

const batch = (argument = typed(Types.int, 2)) =>
  toFunctionBytes({ target: counter.at("a"), state: { count: typed(Types.int, 1), name: undefined }, invocations: [{ argument }] });
const post = (body: Uint8Array, url = "http://functions.local/example/counter") =>
  new Request(url, { method: "POST", body, headers: { "content-type": "application/octet-stream" } });

describe("fetch host", () => {
  const handle = fetchHandler(counter);

  it("answers a batch with the FromFunction bytes", async () => {
    const response = await handle(post(batch()));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/octet-stream");
    const observed = observeResponse(new Uint8Array(await response.arrayBuffer()));
    expect(observed.state).toEqual({ count: typed(Types.int, 3) });
  });

  it("accepts any path: the target in the body decides", async () => {
    const response = await handle(post(batch(), "http://functions.local/whatever/else"));
    expect(decodeFromFunction(new Uint8Array(await response.arrayBuffer())).response.case).toBe("invocationResult");
  });

  it("answers 500 with the error text when the batch fails", async () => {
    const onError = vi.fn();
    const response = await fetchHandlerWith({ onError }, counter)(post(batch(typed(Types.string, "boom"))));
    expect(response.status).toBe(500);
    expect(response.headers.get("statefun-error-code")).toBe("STATEFUN_FUNCTION_FAILED");
    expect(await response.text()).toMatch(/^example\/counter\/a .* failed: boom: the handler failed$/);
    expect(onError).toHaveBeenCalledOnce();
  });

  it("answers 422 to bytes that no retry can mend (not a ToFunction request)", async () => {
    const garbage = await handle(post(Uint8Array.of(0xff, 0xff)));
    expect([garbage.status, garbage.headers.get("statefun-error-code")]).toEqual([422, "STATEFUN_BAD_MESSAGE"]);
  });

  it("answers 405 to anything but POST", async () => {
    const response = await handle(new Request("http://functions.local/example/counter"));
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
  });

  it("answers 413 past the size limit, streamed or declared", async () => {
    const small = fetchHandlerWith({ maxBodyBytes: 8 }, counter);
    expect((await small(post(batch()))).status).toBe(413);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(5));
        controller.enqueue(new Uint8Array(5));
        controller.close();
      },
    });
    const chunked = new Request("http://functions.local/", { method: "POST", body: stream, duplex: "half" } as RequestInit);
    expect((await small(chunked)).status).toBe(413);
  });
});
