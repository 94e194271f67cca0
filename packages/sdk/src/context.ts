import { type Address, type Duration, StatefunError, type TypedValue, toMillis } from "@statefun-ts/protocol";
import { type Effects, emptyEffects } from "./effects.js";
import type { EgressRef, TypedAddress } from "./refs.js";
import type { ValueSpec, ValueState } from "./state.js";
import type { Type } from "./types.js";

/** The states a function declares, by the name it uses to reach them in `ctx.state`. */
export type StateSpecs = Readonly<Record<string, ValueSpec<any>>>;

/** Typed access to every declared state. */
export type StateAccess<S extends StateSpecs> = { readonly [K in keyof S]: S[K] extends ValueSpec<infer T> ? ValueState<T> : never };

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
export interface Context<S extends StateSpecs = StateSpecs> {
  /** This instance's address. */
  readonly self: Address;
  /** The sender of the current message: a function, `statefun.ingress/http` for an HTTP caller, or `undefined`. */
  readonly caller: Address | undefined;
  /** The declared states, typed. */
  readonly state: StateAccess<S>;
  /** Sends a message; the target must accept `type`. */
  send<T>(to: TypedAddress<NoInfer<T>>, type: Type<T>, value: NoInfer<T>): void;
  /** Sends a message after `delay` (ms or `"5s"`), optionally cancellable by token. */
  sendAfter<T>(delay: Duration, to: TypedAddress<NoInfer<T>>, type: Type<T>, value: NoInfer<T>, options?: SendAfterOptions): void;
  /**
   * Cancels every delayed message sent with this token that has not fired yet. Tokens are
   * global (as in StateFun): make them unique, e.g. by including `ctx.self.id`.
   */
  cancelDelayed(cancellationToken: string): void;
  /** Emits a record to an egress. */
  egress<T>(egress: EgressRef<T>, value: NoInfer<T>): void;
  /** Replies to the caller (a function, or a waiting HTTP request). Throws when there is no caller. */
  reply<T>(type: Type<T>, value: NoInfer<T>): void;
}

/**
 * The context of one invocation, collecting its effects. Used by the runtime, the remote
 * request handler and the test harness alike.
 */
export class InvocationContext<S extends StateSpecs = StateSpecs> implements Context<S> {
  readonly effects: Effects = emptyEffects();
  readonly state: StateAccess<S>;

  constructor(
    readonly self: Address,
    readonly caller: Address | undefined,
    specs: S,
    current: (name: string) => TypedValue | undefined,
  ) {
    const access: Record<string, ValueState<unknown>> = {};
    for (const key in specs) access[key] = new StateCell(specs[key]!, this.effects, current);
    this.state = access as StateAccess<S>;
  }

  send<T>(to: TypedAddress<NoInfer<T>>, type: Type<T>, value: NoInfer<T>): void {
    this.effects.messages.push({ target: plainAddress(to), argument: { typename: type.typename, value: type.serialize(value) } });
  }

  sendAfter<T>(delay: Duration, to: TypedAddress<NoInfer<T>>, type: Type<T>, value: NoInfer<T>, options: SendAfterOptions = {}): void {
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
    this.send(this.caller, type, value);
  }
}

/** One state value inside an invocation: reads see this invocation's own writes. */
class StateCell<T> implements ValueState<T> {
  private decodedFrom: TypedValue | null | undefined;
  private decoded: T | undefined;

  constructor(
    private readonly spec: ValueSpec<T>,
    private readonly effects: Effects,
    private readonly current: (name: string) => TypedValue | undefined,
  ) {}

  get(): T | undefined {
    const name = this.spec.name;
    const bytes = this.effects.state.has(name) ? this.effects.state.get(name) : this.current(name);
    if (bytes === this.decodedFrom && this.decodedFrom !== undefined) return this.decoded;
    let value: T | undefined;
    if (bytes) {
      if (bytes.typename !== this.spec.type.typename) {
        throw new StatefunError(
          "STATEFUN_STATE_TYPE",
          `state ${name} holds a ${bytes.typename}, but is declared as ${this.spec.type.typename}`,
        );
      }
      value = this.spec.type.deserialize(bytes.value);
    }
    this.decodedFrom = bytes;
    this.decoded = value;
    return value;
  }

  set(value: T): void {
    const bytes = { typename: this.spec.type.typename, value: this.spec.type.serialize(value) };
    this.effects.state.set(this.spec.name, bytes);
    // Not cached: the caller may still change `value`; a later get decodes what was stored.
    this.decodedFrom = undefined;
  }

  clear(): void {
    this.effects.state.set(this.spec.name, null);
    this.decodedFrom = null;
    this.decoded = undefined;
  }
}

function plainAddress(a: Address): Address {
  return { namespace: a.namespace, type: a.type, id: a.id };
}
