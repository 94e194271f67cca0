import { IntCodec } from "@statefun-ts/protocol";
import { address, callType, jsonType, listSpec, protobufType, StatefunError, statefulFunction, Types, valueSpec } from "@statefun-ts/sdk";
import { ASK_ANSWER, ASK_REQUEST, PENDING_ASKS } from "@statefun-ts/sdk/internal";
import { describe, expect, it } from "vitest";
import { testHarness } from "./index.js";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
type Quote = { item: string; price: number };
const QuoteRequest = jsonType<{ item: string }>("test/QuoteRequest", {
  schema: (v): v is { item: string } => isObject(v) && typeof v.item === "string",
});
const Quote = jsonType<Quote>("test/Quote", {
  schema: (v): v is Quote => isObject(v) && typeof v.item === "string" && typeof v.price === "number",
});
const GetQuote = callType(QuoteRequest, Quote);
const Order = jsonType<{ item: string }>("test/Order");

/** Answers at once, except "slow" (answered when told with "release") and "broken" (a terminal error). */
const seller = statefulFunction({
  typename: "test/seller",
  state: { held: valueSpec("held", GetQuote.replyTo) },
  messages: { quote: GetQuote, release: Types.string },
  handlers: {
    quote(ctx, { item }, replyTo) {
      if (item === "slow") return ctx.state.held.set(replyTo);
      if (item === "broken") throw new StatefunError("STATEFUN_BAD_MESSAGE", "no such item");
      return { item, price: item.length };
    },
    release(ctx) {
      const held = ctx.state.held.get();
      if (held) ctx.answer(held, { item: "slow", price: 99 });
      ctx.state.held.clear();
    },
  },
});

const buyer = statefulFunction({
  typename: "test/buyer",
  state: { log: listSpec("log", Types.string) },
  messages: { order: Order },
  asks: { quote: { call: GetQuote, context: Order } },
  handlers: {
    order(ctx, order) {
      ctx.ask("quote", seller.at(order.item), { item: order.item }, { timeout: "5s", context: order });
    },
  },
  replies: {
    quote(ctx, answer, order) {
      ctx.state.log.append(
        answer.ok ? `${order.item}: ${answer.value.price}` : `${order.item}: ${answer.error.code} ${answer.error.message}`,
      );
    },
  },
});

describe("typed request/reply (ctx.ask)", () => {
  it("correlates the answer with the ask, with its context, and cancels the timeout", async () => {
    const h = testHarness(buyer, seller);
    await h.send(buyer.at("b"), Order, { item: "socks" });
    expect(h.state(buyer.at("b"), buyer.stateSpecs.log)).toEqual(["socks: 5"]);
    expect(h.pending).toEqual([]);
    expect(h.invocations.map((i) => i.typename)).toEqual([Order.typename, ASK_REQUEST, ASK_ANSWER]);
    await h.advance("10s");
    expect(h.state(buyer.at("b"), buyer.stateSpecs.log)).toEqual(["socks: 5"]);
    expect(h.state(buyer.at("b"), valueSpec(PENDING_ASKS, Types.string))).toBeUndefined();
  });

  it("times out, and ignores an answer that comes after the timeout", async () => {
    const h = testHarness(buyer, seller);
    await h.send(buyer.at("b"), Order, { item: "slow" });
    expect(h.pending).toHaveLength(1);
    await h.advance("5s");
    const log = h.state(buyer.at("b"), buyer.stateSpecs.log);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/^slow: STATEFUN_TIMEOUT test\/buyer: no answer from test\/seller\/slow to ask quote within 5000 ms$/);
    const late = await h.send(seller.at("slow"), Types.string, "release");
    expect(late.invocations.map((i) => [i.typename, i.error])).toEqual([
      [Types.string.typename, undefined],
      [ASK_ANSWER, undefined],
    ]);
    expect(h.state(buyer.at("b"), buyer.stateSpecs.log)).toHaveLength(1);
  });

  it("answers later from state, before the timeout", async () => {
    const h = testHarness(buyer, seller);
    await h.send(buyer.at("b"), Order, { item: "slow" });
    await h.advance("1s");
    await h.send(seller.at("slow"), Types.string, "release");
    expect(h.state(buyer.at("b"), buyer.stateSpecs.log)).toEqual(["slow: 99"]);
    await h.advance("1min");
    expect(h.state(buyer.at("b"), buyer.stateSpecs.log)).toEqual(["slow: 99"]);
  });

  it("gets an error answer when the callee rejects the request, its other effects dropped", async () => {
    const h = testHarness(buyer, seller);
    await h.send(buyer.at("b"), Order, { item: "broken" });
    expect(h.deadLetters).toEqual([]);
    expect(h.state(buyer.at("b"), buyer.stateSpecs.log)).toEqual([
      "broken: STATEFUN_BAD_MESSAGE test/seller (asked test/QuoteRequest): no such item",
    ]);
    expect(h.pending).toEqual([]);
  });

  it("answers a plain caller with a plain reply (StateFun-compatible)", async () => {
    const h = testHarness(seller);
    const client = address("statefun.ingress/http", "r1");
    const run = await h.send(seller.at("x"), GetQuote, { item: "hat" }, { caller: client });
    expect(run.reply(Quote)).toEqual({ item: "hat", price: 3 });
  });
});

describe("schemas at the boundary", () => {
  it("rejects bytes that do not match the declared type before user code runs, naming function and type", async () => {
    let ran = false;
    const strict = statefulFunction({
      typename: "test/strict",
      messages: { order: QuoteRequest },
      handlers: {
        order() {
          ran = true;
        },
      },
    });
    const h = testHarness(strict);
    const bytes = new TextEncoder().encode('{"item":42}');
    const failure = await h.sendRaw(strict.at("a"), { typename: QuoteRequest.typename, value: bytes }).catch((e: unknown) => e);
    expect(StatefunError.is(failure) && failure.code).toBe("STATEFUN_BAD_MESSAGE");
    expect(StatefunError.is(failure) && failure.terminal).toBe(true);
    expect(String(failure)).toMatch(
      /test\/strict rejects a test\/QuoteRequest message: JSON does not match the schema of test\/QuoteRequest/,
    );
    expect(ran).toBe(false);
  });

  it("rejects protobuf bytes that do not decode", async () => {
    const Count = protobufType("test.Count", { encode: IntCodec.encode, decode: IntCodec.decode });
    const counter = statefulFunction({ typename: "test/counter", messages: { count: Count }, handlers: { count() {} } });
    const h = testHarness(counter);
    await expect(h.sendRaw(counter.at("c"), { typename: Count.typename, value: new Uint8Array([0xff]) })).rejects.toThrow(
      /test\/counter rejects a type.googleapis.com\/test.Count message: .*premature EOF/,
    );
  });

  it("answers an ask whose request does not decode with an error, not a crash", async () => {
    const h = testHarness(buyer, seller);
    const caller = buyer.at("b");
    const bad = { id: "x", typename: QuoteRequest.typename, value: btoa("not json") };
    const envelope = { typename: ASK_REQUEST, value: new TextEncoder().encode(JSON.stringify(bad)) };
    const run = await h.sendRaw(seller.at("s"), envelope, { caller });
    expect(run.invocations.map((i) => [i.typename, i.error])).toEqual([
      [ASK_REQUEST, undefined],
      [ASK_ANSWER, undefined], // not pending at the buyer: ignored
    ]);
    expect(JSON.parse(new TextDecoder().decode(run.invocations[1]?.argument.value))).toMatchObject({
      id: "x",
      error: { code: "STATEFUN_BAD_MESSAGE", message: expect.stringMatching(/test\/seller .*invalid JSON for test\/QuoteRequest/) },
    });
  });
});
