import type { Duration } from "@statefun-ts/protocol";
import type { Answer, AnswerOf, AskContextOf, AskSpecs } from "./ask-types.js";
import type { Call, ReplyTo } from "./call.js";
import type { Context, StateSpecs } from "./context.js";
import type { Message } from "./message.js";
import type { Type, ValueOf } from "./types.js";

/**
 * The message types a function accepts with `handlers`, by the name of their handler.
 *
 * @example
 * const messages = { restock: RestockItem, request: RequestItem } satisfies MessageSpecs;
 */
export type MessageSpecs = Readonly<Record<string, Type<any, string>>>;

/**
 * One handler per accepted type: a missing one does not compile. A handler of a `Call`
 * gets the request and where to answer; returning a value answers at once.
 *
 * @example
 * handlers: { restock(ctx, item) { … }, quote: (ctx, request) => ({ price: 3 }) }
 */
export type Handlers<S extends StateSpecs, M extends MessageSpecs, Q extends AskSpecs> = {
  readonly [K in keyof M]: M[K] extends Call<infer Req, infer Res, any>
    ? // biome-ignore lint/suspicious/noConfusingVoidType: a call handler returns nothing (it answers later) or the answer
      (ctx: Context<S, Q>, request: Req, replyTo: ReplyTo<Res>) => Res | undefined | void | Promise<Res | undefined | void>
    : (ctx: Context<S, Q>, value: ValueOf<M[K]>) => void | Promise<void>;
};

/**
 * One reply handler per declared ask: a missing one does not compile.
 *
 * @example
 * replies: { room(ctx, answer, trip) { if (answer.ok) ctx.state.room.set(answer.value.room); } }
 */
export type Replies<S extends StateSpecs, Q extends AskSpecs> = {
  readonly [K in keyof Q]: (ctx: Context<S, Q>, answer: Answer<AnswerOf<Q[K]>>, context: AskContextOf<Q[K]>) => void | Promise<void>;
};

/**
 * `replies` is required, and complete, exactly when `asks` declares calls.
 *
 * @example
 * type R = RepliesFor<{}, { room: typeof ReserveRoom }>; // { readonly replies: { room: … } }
 */
export type RepliesFor<S extends StateSpecs, Q extends AskSpecs> = [keyof Q] extends [never]
  ? { readonly replies?: undefined }
  : { readonly replies: Replies<S, Q> };

/**
 * What every function definition has.
 *
 * @example
 * const common: CommonDefinition<{}, {}> = { typename: "example/f", instanceTtl: "30d", retry: { maxAttempts: 3 } };
 */
export interface CommonDefinition<S extends StateSpecs, Q extends AskSpecs> {
  /** `namespace/name` of the function type. */
  readonly typename: string;
  /** The states it keeps, by the name it uses in `ctx.state`. */
  readonly state?: S;
  /** The calls it makes with `ctx.ask`, by label; their answers go to `replies`. */
  readonly asks?: Q;
  readonly retry?: { maxAttempts?: number; initialBackoff?: Duration; maxBackoff?: Duration };
  /** Instance time-to-live: an instance not invoked for this long is dropped whole (all its state), as if it never existed. */
  readonly instanceTtl?: Duration;
}

/**
 * A function with one handler for all the types it accepts (`message.is`/`message.as` tell them apart).
 *
 * @example
 * statefulFunction({ typename: "example/f", accepts: [Types.int], handler(ctx, message) { message.as(Types.int); } });
 */
export interface FunctionDefinition<S extends StateSpecs, A extends Type<any, string>, Q extends AskSpecs = {}>
  extends CommonDefinition<S, Q> {
  /** The message types it accepts; a message of another type is dead-lettered with the reason. */
  readonly accepts: readonly A[];
  /** Runs for each message, one at a time per address. Throwing retries it, then dead-letters it. */
  readonly handler: (ctx: Context<S, Q>, message: Message<A>) => void | Promise<void>;
}

/**
 * A function with one typed handler per accepted type (exhaustive: a missing handler does not compile).
 *
 * @example
 * statefulFunction({ typename: "example/f", messages: { count: Types.int }, handlers: { count(ctx, n) {} } });
 */
export interface DispatchDefinition<S extends StateSpecs, M extends MessageSpecs, Q extends AskSpecs = {}> extends CommonDefinition<S, Q> {
  /** The message types it accepts, by handler name. */
  readonly messages: M;
  readonly handlers: Handlers<S, M, Q>;
}
