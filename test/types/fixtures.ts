/** Types and functions the type tests use. */
import { callType, egressRef, jsonType, listSpec, mapSpec, statefulFunction, Types, valueSpec } from "@statefun-ts/sdk";

export type Order = { item: string; quantity: number };
export type Quote = { item: string; price: number };
export const Order = jsonType<Order>("types/Order");
export const Quote = jsonType<Quote>("types/Quote");
export const QuoteRequest = jsonType<{ item: string }>("types/QuoteRequest");
export const GetQuote = callType(QuoteRequest, Quote);
export const Note = jsonType<{ text: string }>("types/Note");

export const count = valueSpec("count", Types.int);
export const prices = mapSpec("prices", Types.double);
export const history = listSpec("history", Types.string);
export const notes = egressRef("notes", Note);

/** Accepts ints (not longs) and orders. */
export const counter = statefulFunction({
  typename: "types/counter",
  state: { count, prices, history },
  accepts: [Types.int, Order],
  handler() {},
});

/** Answers quotes; accepts plain quote requests only through the call. */
export const seller = statefulFunction({
  typename: "types/seller",
  messages: { quote: GetQuote, note: Note },
  handlers: {
    quote: (_ctx, request) => ({ item: request.item, price: 1 }),
    note() {},
  },
});

/** Accepts a quote request as a plain message, not as a call. */
export const plainSeller = statefulFunction({
  typename: "types/plain-seller",
  accepts: [QuoteRequest],
  handler() {},
});
