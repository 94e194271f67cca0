import { type Address, StatefunError } from "@statefun-ts/protocol";
import { brandType, jsonType, type Type } from "./types.js";

const callBrand = Symbol.for("statefun-ts.call");
const replyTypeKey = Symbol.for("statefun-ts.reply-type");

/**
 * Where the answer to a call goes: the caller, and the correlation id when it asked with
 * `ctx.ask` (absent for a plain message, answered with a plain reply as StateFun's SDKs do).
 * Keep it in state (with `call.replyTo` as its type) to answer in a later invocation.
 *
 * @example
 * ctx.state.waiting.set(replyTo); // valueSpec("waiting", Book.replyTo)
 * ctx.answer(replyTo, { confirmed: true });
 */
export interface ReplyTo<Res> {
  readonly caller: Address | undefined;
  readonly id: string | undefined;
  /** Phantom marker of the answer type; never set at run time. */
  readonly __answer?: (value: Res) => void;
}

/**
 * A message type that expects an answer: the request's type (a `Call` is a `Type` of the
 * request, with the same type name) and the type of the answer. A function accepting it
 * answers from its handler; another function asks it with `ctx.ask` and gets the typed
 * answer (or a timeout, or an error) in its `replies`.
 *
 * @example
 * const GetQuote = callType(QuoteRequest, Quote);
 */
export interface Call<Req, Res, N extends string = string> extends Type<Req, N> {
  /** The type of the answer. */
  readonly reply: Type<Res>;
  /** A type to keep a `ReplyTo` of this call in state or in an ask's context. */
  readonly replyTo: Type<ReplyTo<Res>>;
}

/**
 * Declares a call: a request type and the type of its answer.
 *
 * @example
 * const Reserve = callType(ReserveRequest, Reservation);
 * const hotel = statefulFunction({ typename: "example/hotel", messages: { reserve: Reserve }, handlers: { reserve: (ctx, req) => ({ room: 7 }) } });
 */
export function callType<Req, Res, const N extends string = string>(request: Type<Req, N>, reply: Type<Res>): Call<Req, Res, N> {
  const stored = jsonType<{ caller?: Address; id?: string }>(`statefun-ts.ask/ReplyTo`);
  const replyTo: Type<ReplyTo<Res>> = brandType({
    typename: stored.typename,
    serialize: (r: ReplyTo<Res>) => stored.serialize({ caller: r.caller, id: r.id }),
    deserialize: (bytes: Uint8Array) => {
      const { caller, id } = stored.deserialize(bytes);
      return makeReplyTo(caller, id, reply);
    },
  });
  const call = brandType<Call<Req, Res, N>>({ ...request, reply, replyTo });
  Object.defineProperty(call, callBrand, { value: true });
  return call;
}

/**
 * True for a type made with `callType`.
 *
 * @example
 * isCall(GetQuote); // true
 * isCall(Types.int); // false
 */
export function isCall(value: unknown): value is Call<unknown, unknown> {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[callBrand] === true;
}

/** A `ReplyTo` that knows the type of its answer (for `ctx.answer`). */
export function makeReplyTo<Res>(caller: Address | undefined, id: string | undefined, reply: Type<Res>): ReplyTo<Res> {
  const replyTo: ReplyTo<Res> = { caller, id };
  Object.defineProperty(replyTo, replyTypeKey, { value: reply });
  return replyTo;
}

/** The answer type a `ReplyTo` was made for. */
export function replyTypeOf<Res>(replyTo: ReplyTo<Res>): Type<Res> {
  const type = (replyTo as unknown as Record<symbol, Type<Res> | undefined>)[replyTypeKey];
  if (type === undefined) {
    throw new StatefunError(
      "STATEFUN_BAD_CONFIG",
      "answer(): this ReplyTo does not know its call; keep it in state with `call.replyTo` as its type, not as plain JSON",
    );
  }
  return type;
}
