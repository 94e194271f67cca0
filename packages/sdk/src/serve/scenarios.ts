import { type Address, address } from "@statefun-ts/protocol";
import { int, str, typed } from "@statefun-ts/test-kit";
import { type StatefulFunction, statefulFunction } from "../function.js";
import { egressRef, PLAYGROUND_EGRESS } from "../refs.js";
import { valueSpec } from "../state.js";
import { jsonType, Types } from "../types.js";
import type { BatchRequest, Observed } from "./fixtures.js";

/**
 * One case of the SDK's behaviour as data: functions, a batch, and the effects (or the error) expected.
 * Run embedded and remote alike, they must give the same answers.
 *
 * @example
 * for (const s of scenarios) expect(await runRemote(s)).toEqual(await runEmbedded(s));
 */
export interface Scenario extends BatchRequest {
  readonly name: string;
  readonly fn: StatefulFunction<any, any>;
  readonly expected: Partial<Observed> | { readonly error: RegExp };
}

/** A typed value of `type` (the test kit's): `typed(Types.int, 1)` is `{ typename: "io.statefun.types/int", value: 0d01000000 }`. */
export { typed };

const Order = jsonType<{ item: string; qty: number }>("example/Order", {
  schema: (v): v is { item: string; qty: number } =>
    typeof v === "object" &&
    v !== null &&
    typeof (v as { item?: unknown }).item === "string" &&
    typeof (v as { qty?: unknown }).qty === "number",
});
const count = valueSpec("count", Types.int);
const name = valueSpec("name", Types.string, { expireAfterWrite: "1d" });

/**
 * Counts the ints it gets (replying the total to a caller) and keeps a name (strings; "forget" clears it, "boom" throws).
 *
 * @example
 * toFunctionBytes({ target: counter.at("a"), state: { count: undefined, name: undefined }, invocations: [{ argument: typed(Types.int, 1) }] });
 */
export const counter = statefulFunction({
  typename: "example/counter",
  state: { count, name },
  accepts: [Types.int, Types.string],
  handler(ctx, message) {
    if (message.is(Types.string)) {
      if (message.as(Types.string) === "forget") ctx.state.name.clear();
      else if (message.as(Types.string) === "boom") throw new Error("boom: the handler failed");
      else ctx.state.name.set(message.as(Types.string));
      return;
    }
    const next = (ctx.state.count.get() ?? 0) + message.as(Types.int);
    ctx.state.count.set(next);
    if (ctx.caller) ctx.reply(Types.int, next);
  },
});

const done = egressRef("done", Types.int, "example/kafka");

/**
 * Makes one effect of each kind: a state write, a message, a delayed message and its
 * cancellation, an egress record, and a reply when it has a caller.
 *
 * @example
 * toFunctionBytes({ target: effects.at("a"), state: { n: undefined }, invocations: [{ argument: typed(Types.int, 0) }] });
 */
export const effects = statefulFunction({
  typename: "example/effects",
  state: { n: valueSpec("n", Types.int) },
  accepts: [Types.int],
  handler(ctx) {
    ctx.state.n.set(7);
    ctx.send(counter.at("x"), Types.int, 1);
    ctx.sendAfter("2s", counter.at("y"), Types.int, 2, { cancellationToken: "t" });
    ctx.cancelDelayed("t");
    ctx.egress(done, 3);
    if (ctx.caller) ctx.reply(Types.string, "hi");
  },
});

const greetings = egressRef("greetings", Types.string);
const orders = egressRef("orders", Order);
const audit = egressRef("audit", Types.string, "example/kafka");

/**
 * Takes JSON orders: sends, sends later (cancellable), cancels when the quantity is 0, and writes to three egresses.
 *
 * @example
 * toFunctionBytes({ target: shop.at("alice"), state: {}, invocations: [{ argument: typed(Order, { item: "apple", qty: 1 }) }] });
 */
export const shop = statefulFunction({
  typename: "example/shop",
  accepts: [Order],
  async handler(ctx, message) {
    const order = message.as(Order);
    await Promise.resolve();
    ctx.send(counter.at(order.item), Types.int, order.qty);
    ctx.sendAfter("5s", ctx.self, Order, order, { cancellationToken: `remind-${ctx.self.id}` });
    if (order.qty === 0) ctx.cancelDelayed(`remind-${ctx.self.id}`);
    ctx.sendAfter(250, counter.at("late"), Types.int, 1);
    ctx.egress(greetings, `ordered ${order.item}`);
    ctx.egress(orders, order);
    ctx.egress(audit, order.item);
  },
});

const caller: Address = address("statefun.ingress/http", "req-1");
const cart = counter.at("cart");
const self = shop.at("alice");
const order = (item: string, qty: number) => typed(Order, { item, qty });

/**
 * Every scenario, in the order they run.
 *
 * @example
 * it.each(scenarios.map((s) => [s.name, s]))("%s", async (_, s) => expect(await runRemote(s)).toEqual(await runEmbedded(s)));
 */
export const scenarios: readonly Scenario[] = [
  {
    name: "state carries across the invocations of a batch",
    fn: counter,
    target: cart,
    state: { count: int(5), name: undefined },
    invocations: [{ argument: int(1) }, { argument: int(2) }, { argument: int(3) }],
    expected: { messages: [], delayed: [], egress: [], state: { count: int(11) } },
  },
  {
    name: "a state without value starts empty; untouched states are not written",
    fn: counter,
    target: cart,
    state: { count: undefined, name: str("bob") },
    invocations: [{ argument: int(4) }],
    expected: { state: { count: int(4) } },
  },
  {
    name: "reply goes to the caller",
    fn: counter,
    target: cart,
    state: { count: int(1), name: undefined },
    invocations: [{ caller, argument: int(1) }, { argument: int(1) }],
    expected: { messages: [{ target: caller, argument: int(2) }], state: { count: int(3) } },
  },
  {
    name: "clear deletes a state",
    fn: counter,
    target: cart,
    state: { count: int(2), name: str("bob") },
    invocations: [{ argument: str("alice") }, { argument: str("forget") }],
    expected: { state: { name: null } },
  },
  {
    name: "the last write of a batch wins",
    fn: counter,
    target: cart,
    state: { count: int(2), name: str("bob") },
    invocations: [{ argument: str("forget") }, { argument: str("carol") }],
    expected: { state: { name: str("carol") } },
  },
  {
    name: "messages, delayed sends and cancellations, egress records",
    fn: shop,
    target: self,
    state: {},
    invocations: [{ argument: order("apple", 2) }, { argument: order("pear", 0) }],
    expected: {
      messages: [
        { target: counter.at("apple"), argument: int(2) },
        { target: counter.at("pear"), argument: int(0) },
      ],
      delayed: [
        { kind: "send", delayMs: 5000, target: self, argument: order("apple", 2), cancellationToken: "remind-alice" },
        { kind: "send", delayMs: 250, target: counter.at("late"), argument: int(1), cancellationToken: undefined },
        { kind: "send", delayMs: 5000, target: self, argument: order("pear", 0), cancellationToken: "remind-alice" },
        { kind: "cancel", cancellationToken: "remind-alice" },
        { kind: "send", delayMs: 250, target: counter.at("late"), argument: int(1), cancellationToken: undefined },
      ],
      egress: [
        { egress: PLAYGROUND_EGRESS, topic: "greetings", payload: "ordered apple" },
        { egress: PLAYGROUND_EGRESS, topic: "orders", payload: '{"item":"apple","qty":2}' },
        { egress: "example/kafka", argument: str("apple") },
        { egress: PLAYGROUND_EGRESS, topic: "greetings", payload: "ordered pear" },
        { egress: PLAYGROUND_EGRESS, topic: "orders", payload: '{"item":"pear","qty":0}' },
        { egress: "example/kafka", argument: str("pear") },
      ],
      state: {},
    },
  },
  {
    name: "JSON that fails its schema fails the batch",
    fn: shop,
    target: self,
    state: {},
    invocations: [{ argument: { typename: Order.typename, value: new TextEncoder().encode('{"item":"apple"}') } }],
    expected: { error: /does not match the schema of example\/Order/ },
  },
  {
    name: "a message of a type the function does not accept fails the batch",
    fn: shop,
    target: self,
    state: {},
    invocations: [{ argument: int(1) }],
    expected: { error: /example\/shop does not accept messages of type io\.statefun\.types\/int \(it accepts example\/Order\)/ },
  },
  {
    name: "a handler that throws fails the whole batch",
    fn: counter,
    target: cart,
    state: { count: int(0), name: undefined },
    invocations: [{ argument: int(1) }, { argument: str("boom") }],
    expected: { error: /boom: the handler failed/ },
  },
];
