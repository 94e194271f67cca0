import { describe, expect, it } from "vitest";
import type { Invoker } from "../binding.js";
import { InvokerGates } from "./invoker-gates.js";

const invoker = (maxInFlight?: number): Invoker => ({
  maxBatch: 10,
  maxInFlight,
  invoke: () => ({ messages: [], delayed: [], egress: [], state: new Map() }),
});

describe("InvokerGates", () => {
  it("lets an invoker without maxInFlight run anything", () => {
    const gates = new InvokerGates<string>();
    const free = invoker();
    for (const m of ["a", "b", "c"]) expect(gates.enter(free, m)).toBe(true);
    expect(gates.waiting).toBe(0);
  });

  it("queues past maxInFlight and hands each slot that frees to the first waiter", () => {
    const gates = new InvokerGates<string>();
    const two = invoker(2);
    expect([gates.enter(two, "a"), gates.enter(two, "b"), gates.enter(two, "c"), gates.enter(two, "d")]).toEqual([
      true,
      true,
      false,
      false,
    ]);
    const released: string[] = [];
    gates.leave(two, (m) => released.push(m));
    expect(released).toEqual(["c"]);
    expect(gates.enter(two, "c")).toBe(true); // c runs in the freed slot
    expect(gates.enter(two, "e")).toBe(false);
    expect(gates.waiting).toBe(2);
  });

  it("releases every waiter once none of the invoker runs (a binding replaced meanwhile)", () => {
    const gates = new InvokerGates<string>();
    const one = invoker(1);
    gates.enter(one, "a");
    gates.enter(one, "b");
    gates.enter(one, "c");
    const released: string[] = [];
    gates.leave(one, (m) => released.push(m));
    expect(released).toEqual(["b", "c"]);
    expect(gates.waiting).toBe(0);
  });
});
