/** Typed request/reply: asks, their answers and contexts. */
import { type Context, statefulFunction, Types } from "@statefun-ts/sdk";
import { GetQuote, Order, plainSeller, seller } from "./fixtures.js";

// What must compile.
export const buyer = statefulFunction({
  typename: "types/buyer",
  messages: { order: Order },
  asks: { quote: GetQuote, withContext: { call: GetQuote, context: Order } },
  handlers: {
    order(ctx, order) {
      const id: string = ctx.ask("quote", seller.at(order.item), { item: order.item }, { timeout: "5s" });
      ctx.ask("quote", seller.at(order.item), { item: order.item });
      ctx.ask("withContext", seller.at(order.item), { item: order.item }, { timeout: 1000, context: order });
      void id;
    },
  },
  replies: {
    quote(_ctx, answer) {
      if (answer.ok) {
        const price: number = answer.value.price;
        void price;
      } else {
        const code: string = answer.error.code;
        void code;
      }
    },
    withContext(_ctx, _answer, order) {
      const quantity: number = order.quantity;
      void quantity;
    },
  },
});

// What must not compile.
declare const ctx: Context<{}, typeof buyerAsks>;
const buyerAsks = { quote: GetQuote, withContext: { call: GetQuote, context: Order } } as const;
// @ts-expect-error no ask is labelled price
ctx.ask("price", seller.at("x"), { item: "socks" }, { timeout: "1s" });
// @ts-expect-error the request of GetQuote is a QuoteRequest
ctx.ask("quote", seller.at("x"), { name: "socks" });
// @ts-expect-error plainSeller accepts QuoteRequest as a plain message, not the GetQuote call
ctx.ask("quote", plainSeller.at("x"), { item: "socks" });
// @ts-expect-error this ask declares a context: it must be given
ctx.ask("withContext", seller.at("x"), { item: "socks" }, { timeout: "1s" });
// @ts-expect-error the context must have its declared type
ctx.ask("withContext", seller.at("x"), { item: "socks" }, { context: { item: "socks" } });

declare const noAsks: Context;
// @ts-expect-error a function that declares no asks cannot ask
noAsks.ask("quote", seller.at("x"), { item: "socks" });

statefulFunction({
  typename: "types/no-replies",
  accepts: [Types.int],
  asks: { quote: GetQuote, withContext: { call: GetQuote, context: Order } },
  handler() {},
  // @ts-expect-error replies must handle every ask: withContext is missing
  replies: { quote() {} },
});

// @ts-expect-error asks need replies
statefulFunction({
  typename: "types/no-replies-at-all",
  accepts: [Types.int],
  asks: { quote: GetQuote },
  handler() {},
});

statefulFunction({
  typename: "types/wrong-answer-type",
  accepts: [Types.int],
  asks: { quote: GetQuote },
  handler() {},
  replies: {
    quote(_ctx, answer) {
      // @ts-expect-error a Quote has no name
      if (answer.ok) void answer.value.name;
    },
  },
});

// A helper that takes a context without asks accepts the context of a function that asks.
function bump(c: Context<{}>): void {
  c.send(seller.at("x"), GetQuote, { item: "socks" });
}
statefulFunction({
  typename: "types/helper",
  accepts: [Types.int],
  asks: { quote: GetQuote },
  handler(c) {
    bump(c);
  },
  replies: {
    quote(c) {
      bump(c);
    },
  },
});
