import { describe, expect, it } from "vitest";
import { callType } from "./call.js";
import { listSpec, mapSpec } from "./collections.js";
import { fromBase64, toBase64 } from "./envelopes.js";
import { statefulFunction } from "./function.js";
import { valueSpec } from "./state.js";
import { Types } from "./types.js";

const Ask = callType(Types.string, Types.int);

describe("statefulFunction", () => {
  it("validates instanceTtl and exposes it in ms", () => {
    const define = (instanceTtl: string | number | undefined) =>
      statefulFunction({ typename: "t/ttl", accepts: [Types.int], handler() {}, ...(instanceTtl === undefined ? {} : { instanceTtl }) });
    expect(define("1h").instanceTtlMs).toBe(3_600_000);
    expect(define(500).instanceTtlMs).toBe(500);
    expect(define(undefined).instanceTtlMs).toBeUndefined();
    expect(() => define(0)).toThrow(/t\/ttl: instanceTtl must be positive/);
    expect(() => define("soon")).toThrow(/t\/ttl: instanceTtl/);
  });

  it("rejects a type accepted twice, a missing handler and a missing reply handler, by name", () => {
    expect(() => statefulFunction({ typename: "t/twice", accepts: [Types.int, Types.int], handler() {} })).toThrow(
      /t\/twice: message type io.statefun.types\/int is accepted twice/,
    );
    const handlers = {} as { a: () => void };
    expect(() => statefulFunction({ typename: "t/missing", messages: { a: Types.int }, handlers })).toThrow(
      /t\/missing: messages has a, but handlers has no a handler/,
    );
    const replies = {} as { q: () => void };
    expect(() => statefulFunction({ typename: "t/asks", accepts: [Types.int], asks: { q: Ask }, replies, handler() {} })).toThrow(
      /t\/asks: asks q, but replies has no q handler/,
    );
    expect(() =>
      statefulFunction({
        typename: "t/reserved",
        state: { x: valueSpec("_statefun_asks", Types.int) },
        asks: { q: Ask },
        accepts: [Types.int],
        handler() {},
        replies: { q() {} },
      }),
    ).toThrow(/reserved for pending asks/);
  });

  it("accepts the ask envelopes only where they are needed, and keeps pending asks as a plain value state", () => {
    const plain = statefulFunction({ typename: "t/plain", accepts: [Types.int], handler() {} });
    const answering = statefulFunction({ typename: "t/answering", messages: { ask: Ask }, handlers: { ask: () => 1 } });
    const asking = statefulFunction({ typename: "t/asking", accepts: [Types.int], asks: { q: Ask }, handler() {}, replies: { q() {} } });
    const names = (fn: { accepts: readonly { typename: string }[] }) => fn.accepts.map((t) => t.typename);
    expect(names(plain)).toEqual(["io.statefun.types/int"]);
    expect(names(answering)).toEqual(["io.statefun.types/string", "statefun-ts.ask/Request"]);
    expect(names(asking)).toEqual(["io.statefun.types/int", "statefun-ts.ask/Answer", "statefun-ts.ask/Timeout"]);
    expect(asking.specs.get("_statefun_asks")?.kind).toBe("value");
    expect(answering.messageTypes).toEqual([Ask]);
  });
});

describe("state specs", () => {
  it("check names and expiries of maps and lists as of values", () => {
    expect(mapSpec("m", Types.int, { expireAfterWrite: "1s" }).expiration).toEqual({ mode: "after-write", millis: 1000 });
    expect(listSpec("l", Types.int, { expireAfterCall: 5 }).expiration).toEqual({ mode: "after-call", millis: 5 });
    expect(() => mapSpec("a[b]", Types.int)).toThrow(/invalid state name "a\[b\]"/);
    expect(() => listSpec("l", Types.int, { expireAfterCall: 5, expireAfterWrite: 5 } as never)).toThrow(/not both/);
  });
});

describe("ask envelopes", () => {
  it("carry any bytes as base64, and reject text that is not base64", () => {
    const bytes = new Uint8Array(100_000).map((_, i) => (i * 7) % 256);
    expect(fromBase64(toBase64(bytes), "x")).toEqual(bytes);
    expect(() => fromBase64("***", "the request")).toThrow(/the request is not base64/);
  });
});
