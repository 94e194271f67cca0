import type { Address } from "@statefun-ts/protocol";
import { describe, expect, it } from "vitest";
import { type StatefulFunction, statefulFunction } from "../function.js";
import { valueSpec } from "../state.js";
import { Types } from "../types.js";
import { type BatchRequest, toFunctionBytes } from "./fixtures.js";
import { requestHandler } from "./handler.js";
import { counter, effects, typed } from "./scenarios.js";

// The FromFunction bytes the official Python SDK (apache-flink-statefun 3.3.0) answers to the
// same requests, with the same functions written in Python (serve/golden.py). To regenerate:
// print {"name": toFunctionBytes(batch) as hex} for the cases below, pipe it to golden.py.
const OFFICIAL = {
  one: "aa06210a1f0a047365656e12001a15696f2e737461746566756e2e74797065732f696e74",
  ttl:
    "aa06790a1f0a047365656e12001a15696f2e737461746566756e2e74797065732f696e740a2c0a077772697474656e120708011080b899291a18696f" +
    "2e737461746566756e2e74797065732f737472696e670a280a07746f7563686564120508021088271a16696f2e737461746566756e2e74797065732f" +
    "626f6f6c",
  effects:
    "a206a4020a27080112016e1a200a15696f2e737461746566756e2e74797065732f696e7410011a050d0700000012390a150a076578616d706c651207" +
    "636f756e7465721a017812200a15696f2e737461746566756e2e74797065732f696e7410011a050d0100000012420a1c0a10737461746566756e2e69" +
    "6e67726573731204687474701a02723112220a18696f2e737461746566756e2e74797065732f737472696e6710011a040a0268691a3f08d00f12150a" +
    "076578616d706c651207636f756e7465721a01791a200a15696f2e737461746566756e2e74797065732f696e7410011a050d020000005a01741a0550" +
    "015a017422320a076578616d706c6512056b61666b611a200a15696f2e737461746566756e2e74797065732f696e7410011a050d03000000",
  counter: "a206350a2b08011205636f756e741a200a15696f2e737461746566756e2e74797065732f696e7410011a050d080000000a0612046e616d65",
};

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const int = (n: number) => typed(Types.int, n);
const ingress: Address = { namespace: "statefun.ingress", type: "http", id: "r1" };

const one = statefulFunction({
  typename: "example/one",
  state: { seen: valueSpec("seen", Types.int) },
  accepts: [Types.int],
  handler() {},
});
const ttl = statefulFunction({
  typename: "example/ttl",
  state: {
    seen: valueSpec("seen", Types.int),
    written: valueSpec("written", Types.string, { expireAfterWrite: "1d" }),
    touched: valueSpec("touched", Types.bool, { expireAfterCall: "5s" }),
  },
  accepts: [Types.int],
  handler() {},
});
const cases: Record<keyof typeof OFFICIAL, [StatefulFunction, BatchRequest]> = {
  one: [one, { target: one.at("a"), state: {}, invocations: [{ argument: int(1) }] }],
  ttl: [ttl, { target: ttl.at("a"), state: {}, invocations: [{ argument: int(1) }] }],
  effects: [effects, { target: effects.at("a"), state: { n: undefined }, invocations: [{ caller: ingress, argument: int(0) }] }],
  counter: [
    counter,
    {
      target: counter.at("c"),
      state: { count: int(5), name: typed(Types.string, "bob") },
      invocations: [{ argument: int(1) }, { argument: int(2) }, { argument: typed(Types.string, "forget") }],
    },
  ],
};

describe("byte-identical to the official Python SDK", () => {
  for (const [name, [fn, batch]] of Object.entries(cases)) {
    it(name, async () => {
      expect(hex(await requestHandler(fn)(toFunctionBytes(batch)))).toBe(OFFICIAL[name as keyof typeof OFFICIAL]);
    });
  }
});
