import type { Duration, StatefunError } from "@statefun-ts/protocol";
import type { Call } from "./call.js";
import type { Type } from "./types.js";

/**
 * A call a function makes with `ctx.ask`: the call, or the call with the type of a context
 * kept (in the asker's state) until the answer comes, and handed to the reply handler.
 *
 * @example
 * const asks = { quote: GetQuote, book: { call: Book, context: Trip } } satisfies AskSpecs;
 */
export type AskDeclaration = Call<any, any, string> | { readonly call: Call<any, any, string>; readonly context: Type<any, string> };

/**
 * The calls a function makes, by the label its `replies` handlers use.
 *
 * @example
 * statefulFunction({ …, asks: { room: ReserveRoom }, replies: { room(ctx, answer) {} } });
 */
export type AskSpecs = Readonly<Record<string, AskDeclaration>>;

/**
 * The call of an ask declaration (and below: its request, answer and context values).
 *
 * @example
 * type Req = RequestOf<{ call: typeof ReserveRoom; context: typeof Trip }>; // RoomRequest
 */
export type CallOf<D> = D extends { readonly call: infer C extends Call<any, any, string> }
  ? C
  : D extends Call<any, any, string>
    ? D
    : never;
/** The request value of an ask declaration. */
export type RequestOf<D> = CallOf<D> extends Call<infer Req, any, any> ? Req : never;
/** The answer value of an ask declaration. */
export type AnswerOf<D> = CallOf<D> extends Call<any, infer Res, any> ? Res : never;
/** The context value of an ask declaration (`undefined` without one). */
export type AskContextOf<D> = D extends { readonly context: Type<infer C, any> } ? C : undefined;

/**
 * What an ask ends with: the answer, or an error: `STATEFUN_TIMEOUT` when no answer came in
 * time, `STATEFUN_BAD_MESSAGE` when the request or the answer did not match its type, or the
 * code of a terminal error the callee raised.
 *
 * @example
 * quote(ctx, answer) { if (answer.ok) use(answer.value); else log(answer.error.code); }
 */
export type Answer<Res> = { readonly ok: true; readonly value: Res } | { readonly ok: false; readonly error: StatefunError };

/**
 * Options of `ctx.ask`.
 *
 * @example
 * ctx.ask("room", hotel.at(city), { nights: 2 }, { timeout: "5s" });
 */
export interface AskOptions {
  /** Give up after this long: the reply handler then gets a `STATEFUN_TIMEOUT` error, and a later answer is ignored. */
  readonly timeout?: Duration;
}

/**
 * The options argument of `ctx.ask`: required, with `context`, when the declaration has a context type.
 *
 * @example
 * ctx.ask("seat", airline.at(city), { traveler }, { timeout: "2s", context: itinerary });
 */
export type AskArgs<C> = [C] extends [undefined] ? [options?: AskOptions] : [options: AskOptions & { readonly context: C }];
