import { type Address, type Duration, StatefunError, type TypedValue, toMillis } from "@statefun-ts/protocol";
import type { AskArgs, AskContextOf, AskSpecs, CallOf, RequestOf } from "./ask-types.js";
import { type ReplyTo, replyTypeOf } from "./call.js";
import { ListCell, MapCell, type StateReader, ValueCell } from "./cells.js";
import type { ListSpec, ListState, MapSpec, MapState } from "./collections.js";
import { type Effects, emptyEffects } from "./effects.js";
import { AnswerEnvelopeType, toBase64 } from "./envelopes.js";
import type { EgressRef, TypedAddress } from "./refs.js";
import type { ValueSpec, ValueState } from "./state.js";
import type { Type, ValueOf } from "./types.js";

/**
 * Any declared state: a value, a map or a list.
 *
 * @example
 * const specs: AnyStateSpec[] = [valueSpec("n", Types.int), mapSpec("m", Types.int), listSpec("l", Types.string)];
 */
export type AnyStateSpec = ValueSpec<any> | MapSpec<any, any> | ListSpec<any>;

/**
 * The states a function declares, by the name it uses to reach them in `ctx.state`.
 *
 * @example
 * const state = { visits, cart } satisfies StateSpecs;
 */
export type StateSpecs = Readonly<Record<string, AnyStateSpec>>;

/**
 * Typed access to every declared state.
 *
 * @example
 * const access: StateAccess<{ visits: ValueSpec<number> }> = ctx.state; // access.visits.get(): number | undefined
 */
export type StateAccess<S extends StateSpecs> = {
  readonly [K in keyof S]: S[K] extends MapSpec<infer V, infer Key>
    ? MapState<V, Key>
    : S[K] extends ListSpec<infer V>
      ? ListState<V>
      : S[K] extends ValueSpec<infer T>
        ? ValueState<T>
        : never;
};

/** Options of a delayed message. */
export interface SendAfterOptions {
  /** A token to cancel the message with `cancelDelayed` before it fires; global, so make it unique. */
  readonly cancellationToken?: string;
}

/**
 * What a function sees during one invocation. Every effect (state writes, messages,
 * delayed messages, egress records, a reply) applies exactly once when the invocation
 * commits, or not at all.
 *
 * @example
 * handler(ctx, message) {
 *   const seen = (ctx.state.visits.get() ?? 0) + 1;
 *   ctx.state.visits.set(seen);
 *   ctx.send(greeter.at(ctx.self.id), Types.int, seen);
 * }
 */
export interface Context<S extends StateSpecs = StateSpecs, Q extends AskSpecs = {}> {
  /** This instance's address. */
  readonly self: Address;
  /** The sender of the current message: a function, `statefun.ingress/http` for an HTTP caller, or `undefined`. */
  readonly caller: Address | undefined;
  /** The declared states, typed. */
  readonly state: StateAccess<S>;
  /** Sends a message; the target must accept `type`. */
  send<X extends Type<any, string>>(to: TypedAddress<NoInfer<ValueOf<X>>, NoInfer<X>>, type: X, value: NoInfer<ValueOf<X>>): void;
  /** Sends a message after `delay` (ms or `"5s"`), optionally cancellable by token. */
  sendAfter<X extends Type<any, string>>(
    delay: Duration,
    to: TypedAddress<NoInfer<ValueOf<X>>, NoInfer<X>>,
    type: X,
    value: NoInfer<ValueOf<X>>,
    options?: SendAfterOptions,
  ): void;
  /**
   * Cancels every delayed message sent with this token that has not fired yet. The tokens of
   * embedded functions are global (StateFun scopes them by the sender's id, and so does the runtime
   * for remote functions): make them unique, e.g. by including `ctx.self.id`.
   */
  cancelDelayed(cancellationToken: string): void;
  /** Emits a record to an egress. */
  egress<T>(egress: EgressRef<T>, value: NoInfer<T>): void;
  /** Replies to the caller (a function, or a waiting HTTP request). Throws when there is no caller. */
  reply<T>(type: Type<T>, value: NoInfer<T>): void;
  /**
   * Asks a function that accepts the call declared as `label` in `asks`; its answer (or a
   * timeout, or an error) comes later to the `replies` handler of the same label. Returns
   * the ask's correlation id.
   */
  ask<K extends keyof Q & string>(
    label: K,
    to: TypedAddress<any, any, NoInfer<CallOf<Q[K]>>>,
    request: NoInfer<RequestOf<Q[K]>>,
    ...options: AskArgs<AskContextOf<Q[K]>>
  ): string;
  /** Answers a call, now or in a later invocation: to an ask, or with a plain reply to a plain caller. Without a caller it does nothing. */
  answer<Res>(replyTo: ReplyTo<Res>, value: NoInfer<Res>): void;
}

/** What `ctx.ask` runs; set by the function's dispatcher when it declares asks. */
export interface Asker {
  ask(
    ctx: InvocationContext<any, any>,
    label: string,
    to: Address,
    request: unknown,
    options: { timeout?: Duration; context?: unknown },
  ): string;
}

/**
 * The context of one invocation, collecting its effects. Used by the runtime, the remote
 * request handler and the test harness alike.
 */
export class InvocationContext<S extends StateSpecs = StateSpecs, Q extends AskSpecs = {}> implements Context<S, Q> {
  readonly effects: Effects = emptyEffects();
  readonly state: StateAccess<S>;
  readonly reader: StateReader;
  /** Set by the dispatcher: `ask` support, and the `ReplyTo` of the current message when it is an ask. */
  asker: Asker | undefined;
  askReplyTo: ReplyTo<unknown> | undefined;

  constructor(
    readonly self: Address,
    readonly caller: Address | undefined,
    specs: S,
    reader: StateReader | ((name: string) => TypedValue | undefined),
  ) {
    this.reader = typeof reader === "function" ? { value: reader } : reader;
    const access: Record<string, unknown> = {};
    for (const key in specs) {
      const spec = specs[key]!;
      if (spec.kind === "map") access[key] = new MapCell(spec, this.effects, this.reader);
      else if (spec.kind === "list") access[key] = new ListCell(spec, this.effects, this.reader);
      else access[key] = new ValueCell(spec, this.effects, this.reader);
    }
    this.state = access as StateAccess<S>;
  }

  send<X extends Type<any, string>>(to: TypedAddress<NoInfer<ValueOf<X>>, NoInfer<X>>, type: X, value: NoInfer<ValueOf<X>>): void {
    this.effects.messages.push({ target: plainAddress(to), argument: { typename: type.typename, value: type.serialize(value) } });
  }

  sendAfter<X extends Type<any, string>>(
    delay: Duration,
    to: TypedAddress<NoInfer<ValueOf<X>>, NoInfer<X>>,
    type: X,
    value: NoInfer<ValueOf<X>>,
    options: SendAfterOptions = {},
  ): void {
    this.effects.delayed.push({
      kind: "send",
      delayMs: toMillis(delay, "sendAfter delay"),
      target: plainAddress(to),
      argument: { typename: type.typename, value: type.serialize(value) },
      cancellationToken: options.cancellationToken,
    });
  }

  cancelDelayed(cancellationToken: string): void {
    this.effects.delayed.push({ kind: "cancel", cancellationToken });
  }

  egress<T>(egress: EgressRef<T>, value: NoInfer<T>): void {
    this.effects.egress.push({
      egress: egress.egress,
      topic: egress.topic,
      argument: { typename: egress.type.typename, value: egress.type.serialize(value) },
    });
  }

  reply<T>(type: Type<T>, value: NoInfer<T>): void {
    if (this.caller === undefined) {
      throw new StatefunError(
        "STATEFUN_BAD_MESSAGE",
        `reply from ${this.self.namespace}/${this.self.type}/${this.self.id}: the message has no caller`,
      );
    }
    const asked = this.askReplyTo;
    if (asked?.id !== undefined && asked.caller !== undefined) this.sendAnswer(asked.caller, asked.id, type, value);
    else this.send(this.caller, type, value);
  }

  ask<K extends keyof Q & string>(
    label: K,
    to: TypedAddress<any, any, NoInfer<CallOf<Q[K]>>>,
    request: NoInfer<RequestOf<Q[K]>>,
    ...options: AskArgs<AskContextOf<Q[K]>>
  ): string {
    if (this.asker === undefined) {
      throw new StatefunError("STATEFUN_BAD_CONFIG", `ask(${JSON.stringify(label)}): the function declares no asks`);
    }
    return this.asker.ask(this, label, plainAddress(to), request, options[0] ?? {});
  }

  answer<Res>(replyTo: ReplyTo<Res>, value: NoInfer<Res>): void {
    const type = replyTypeOf(replyTo);
    if (replyTo.caller === undefined) return;
    if (replyTo.id === undefined) this.send(replyTo.caller, type, value);
    else this.sendAnswer(replyTo.caller, replyTo.id, type, value);
  }

  /** Sends the answer envelope of ask `id`. */
  sendAnswer<T>(to: Address, id: string, type: Type<T>, value: T): void {
    this.send(to, AnswerEnvelopeType, { id, typename: type.typename, value: toBase64(type.serialize(value)) });
  }
}

function plainAddress(a: Address): Address {
  return { namespace: a.namespace, type: a.type, id: a.id };
}
