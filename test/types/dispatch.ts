/** Exhaustive, typed dispatch: one handler per accepted type. */
import { callType, jsonType, statefulFunction, Types } from "@statefun-ts/sdk";
import { GetQuote, Note, Order, type Quote } from "./fixtures.js";

// What must compile.
export const shop = statefulFunction({
  typename: "types/shop",
  messages: { order: Order, note: Note, quote: GetQuote },
  handlers: {
    order(_ctx, order) {
      const quantity: number = order.quantity;
      void quantity;
    },
    async note(_ctx, note) {
      const text: string = note.text;
      void text;
    },
    quote(ctx, request, replyTo) {
      if (request.item === "later") return ctx.answer(replyTo, { item: request.item, price: 2 });
      return { item: request.item, price: 1 };
    },
  },
});

statefulFunction({
  typename: "types/async-answer",
  messages: { quote: GetQuote },
  handlers: { quote: async (_ctx, request) => ({ item: request.item, price: 1 }) },
});

// What must not compile.
statefulFunction({
  typename: "types/missing",
  messages: { order: Order, note: Note },
  // @ts-expect-error the handler for note is missing
  handlers: {
    order() {},
  },
});

statefulFunction({
  typename: "types/wrong-value",
  messages: { order: Order },
  handlers: {
    order(_ctx, order) {
      // @ts-expect-error an Order has no text
      void order.text;
    },
  },
});

statefulFunction({
  typename: "types/wrong-answer",
  messages: { quote: GetQuote },
  handlers: {
    // @ts-expect-error the answer to GetQuote is a Quote
    quote: () => ({ item: "socks", price: "cheap" }),
  },
});

statefulFunction({
  typename: "types/wrong-later-answer",
  messages: { quote: GetQuote },
  handlers: {
    quote(ctx, _request, replyTo) {
      // @ts-expect-error the answer to GetQuote is a Quote
      ctx.answer(replyTo, { price: 1 });
    },
  },
});

statefulFunction({
  typename: "types/extra",
  messages: { order: Order },
  handlers: {
    order() {},
    // @ts-expect-error there is no message type called note
    note() {},
  },
});

statefulFunction({
  typename: "types/message-as",
  accepts: [Order],
  handler(_ctx, message) {
    message.as(Order);
    // @ts-expect-error the function does not accept Note
    message.as(Note);
  },
});

// A call is a type of its request: it can be sent as a plain message, and its reply type is kept.
const Ping = callType(Types.string, jsonType<{ pong: string }>("types/Pong"));
const replyType: typeof Quote = GetQuote.reply;
void Ping;
void replyType;
