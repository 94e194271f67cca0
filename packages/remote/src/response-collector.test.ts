import { describe, expect, it } from "vitest";
import { Abort } from "./abort.js";
import type { HttpResponse } from "./http-client.js";
import { ERROR_BODY_BYTES, ResponseCollector } from "./response-collector.js";

const raw = (headers: Record<string, string>) => Object.entries(headers).flatMap(([k, v]) => [Buffer.from(k), Buffer.from(v)]);

function collect(limit = 100) {
  const abort = new Abort();
  const cancelled: Error[] = [];
  let settled: { response?: HttpResponse; error?: unknown } | undefined;
  const collector = new ResponseCollector(
    limit,
    abort,
    (response) => {
      settled = { response };
    },
    (error) => {
      settled = { error };
    },
  );
  return { abort, collector, cancelled, cancel: (e: Error) => cancelled.push(e), settled: () => settled };
}

describe("ResponseCollector", () => {
  it("gathers the status, the content type (any case) and the chunks of the body", () => {
    const c = collect();
    c.collector.onConnect(c.cancel);
    expect(c.collector.onHeaders(200, raw({ "Content-Type": "application/octet-stream", "content-length": "5" }), () => {}, "OK")).toBe(
      true,
    );
    c.collector.onData(Buffer.from("ab"));
    c.collector.onData(Buffer.from("cde"));
    c.collector.onComplete([]);
    expect(c.settled()?.response).toEqual({ status: 200, contentType: "application/octet-stream", body: Buffer.from("abcde") });
    expect(c.cancelled).toEqual([]);
  });

  it("refuses a 2xx body past the limit, declared or received, and cancels the request", () => {
    const declared = collect(10);
    declared.collector.onConnect(declared.cancel);
    expect(declared.collector.onHeaders(200, raw({ "content-length": "11" }), () => {}, "OK")).toBe(false);
    expect(String(declared.settled()?.error)).toContain("exceeds payloadMaxBytes (10 bytes): Content-Length is 11");
    expect(declared.cancelled).toHaveLength(1);

    const received = collect(10);
    received.collector.onConnect(received.cancel);
    received.collector.onHeaders(200, [], () => {}, "OK");
    expect(received.collector.onData(Buffer.alloc(8))).toBe(true);
    expect(received.collector.onData(Buffer.alloc(8))).toBe(false);
    expect(String(received.settled()?.error)).toContain("exceeds payloadMaxBytes (10 bytes)");
    expect(received.cancelled).toHaveLength(1);
  });

  it("cuts an error body at ERROR_BODY_BYTES and answers with what it has", () => {
    const c = collect();
    c.collector.onConnect(c.cancel);
    c.collector.onHeaders(500, raw({ "content-type": "text/plain" }), () => {}, "Internal Server Error");
    c.collector.onData(Buffer.alloc(ERROR_BODY_BYTES - 1, 120));
    expect(c.collector.onData(Buffer.alloc(10, 121))).toBe(false);
    expect(c.settled()?.response?.status).toBe(500);
    expect(c.settled()?.response?.body.length).toBe(ERROR_BODY_BYTES);
    expect(c.cancelled).toHaveLength(1);
  });

  it("an abort before a connection is assigned fails at once and cancels the request once it is sent", () => {
    const c = collect();
    c.abort.abort(new Error("budget"));
    expect(String(c.settled()?.error)).toBe("Error: budget");
    c.collector.onConnect(c.cancel);
    expect(c.cancelled.map(String)).toEqual(["Error: budget"]);
  });

  it("an abort while the response is read cancels it; a transport error after settling is ignored", () => {
    const c = collect();
    c.collector.onConnect(c.cancel);
    c.collector.onHeaders(200, [], () => {}, "OK");
    c.abort.abort(new Error("closed"));
    expect(c.cancelled.map(String)).toEqual(["Error: closed"]);
    c.collector.onError(new Error("socket reset"));
    expect(String(c.settled()?.error)).toBe("Error: closed");
  });

  it("an abort after the response completed does nothing", () => {
    const c = collect();
    c.collector.onConnect(c.cancel);
    c.collector.onHeaders(204, [], () => {}, "No Content");
    c.collector.onComplete([]);
    c.abort.abort(new Error("late"));
    expect(c.cancelled).toEqual([]);
    expect(c.settled()?.response?.body.length).toBe(0);
  });
});

describe("Abort", () => {
  it("tells its one listener once, at once when already aborted, and nothing after clear", () => {
    const heard: unknown[] = [];
    const a = new Abort();
    a.onAbort((r) => heard.push(r));
    a.abort("first");
    a.abort("second");
    expect(heard).toEqual(["first"]);
    expect(a.aborted).toBe(true);
    a.onAbort((r) => heard.push(`late ${r}`));
    expect(heard).toEqual(["first", "late first"]);

    const b = new Abort();
    b.onAbort((r) => heard.push(r));
    b.clear();
    b.abort("ignored");
    expect(heard).toHaveLength(2);
  });
});
