/** Typed references: sending, state and egress. */
import { address, type Context, functionRef, jsonType, type StatefulFunction, Types } from "@statefun-ts/sdk";
import { testHarness } from "@statefun-ts/testing";
import { count, counter, history, Note, notes, Order, prices, QuoteRequest } from "./fixtures.js";

declare const ctx: Context<typeof counter.stateSpecs>;

// What must compile.
ctx.send(counter.at("a"), Types.int, 1);
ctx.send(counter.at("a"), Order, { item: "socks", quantity: 1 });
ctx.sendAfter("1s", counter.at("a"), Types.int, 1, { cancellationToken: "t" });
ctx.send(address("any/where", "x"), Types.long, 1n); // a plain address accepts anything
ctx.send(ctx.self, Types.string, "to myself");
ctx.state.count.set((ctx.state.count.get() ?? 0) + 1);
ctx.state.prices.set("socks", 1.5);
ctx.state.history.append("sold");
const total: number = ctx.state.prices.entries().reduce((sum, [, price]) => sum + price, 0);
const entries: string[] = ctx.state.history.values();
ctx.egress(notes, { text: "hi" });
ctx.reply(Types.int, 1);
const byTypes = functionRef("types/counter", { accepts: [Types.int, Order] });
ctx.send(byTypes.at("b"), Types.int, 2);
const byValue = functionRef<number>("types/counter");
ctx.send(byValue.at("b"), Types.int, 2);
const fn: StatefulFunction = counter;

// What must not compile.
// @ts-expect-error counter accepts Types.int, not Types.double (both carry numbers)
ctx.send(counter.at("a"), Types.double, 1);
// @ts-expect-error counter does not accept Note
ctx.send(counter.at("a"), Note, { text: "hi" });
// @ts-expect-error the value does not match the type
ctx.send(counter.at("a"), Types.int, "one");
// @ts-expect-error the value does not match the type
ctx.send(counter.at("a"), Order, { item: "socks" });
// @ts-expect-error a delayed message is checked too
ctx.sendAfter("1s", counter.at("a"), Types.string, "x");
// @ts-expect-error functionRef with accepts checks types
ctx.send(byTypes.at("b"), QuoteRequest, { item: "socks" });
// @ts-expect-error state values are typed
ctx.state.count.set("1");
// @ts-expect-error map values are typed
ctx.state.prices.set("socks", "cheap");
// @ts-expect-error list elements are typed
ctx.state.history.append(1);
// @ts-expect-error undeclared state
ctx.state.missing.get();
// @ts-expect-error egress records are typed
ctx.egress(notes, { body: "hi" });
// @ts-expect-error a reply value must match its type
ctx.reply(Types.int, "1");

// The test harness checks the same way.
const h = testHarness(counter);
void h.send(counter.at("a"), Types.int, 1);
// @ts-expect-error counter accepts Types.int, not Types.double
void h.send(counter.at("a"), Types.double, 1);
const n: number | undefined = h.state(counter.at("a"), count);
const p: Map<string, number> = h.state(counter.at("a"), prices);
const l: string[] = h.state(counter.at("a"), history);
// @ts-expect-error a map state reads as a Map
const wrong: number | undefined = h.state(counter.at("a"), prices);

// Inferred JSON types carry their type name: two types with one shape are told apart.
const Celsius = jsonType("types/Celsius", { schema: (v): v is number => typeof v === "number" });
const Fahrenheit = jsonType("types/Fahrenheit", { schema: (v): v is number => typeof v === "number" });
declare const thermometer: StatefulFunction<{}, typeof Celsius>;
ctx.send(thermometer.at("t"), Celsius, 20);
// @ts-expect-error a thermometer takes Celsius, not Fahrenheit
ctx.send(thermometer.at("t"), Fahrenheit, 68);

export { entries, fn, l, n, p, total, wrong };
