import { type Duration, parseTypeName, toMillis } from "@statefun-ts/protocol";
import type { Context, StateSpecs } from "./context.js";
import type { Message } from "./message.js";
import type { FunctionRef, TypedAddress } from "./refs.js";
import type { ValueSpec } from "./state.js";
import type { Type, ValueOf } from "./types.js";

const functionBrand = Symbol.for("statefun-ts.function");

/** How a failing invocation is retried before its message goes to the dead-letter store. */
export interface RetryPolicy {
  /** Attempts in all, the first included (default 5). */
  readonly maxAttempts: number;
  /** Backoff before the second attempt, doubled after each failure (default 100 ms). */
  readonly initialBackoffMs: number;
  /** Largest backoff (default 5 s). */
  readonly maxBackoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, initialBackoffMs: 100, maxBackoffMs: 5000 };

/** The definition of a stateful function type. */
export interface FunctionDefinition<S extends StateSpecs, A extends Type<any>> {
  /** `namespace/name` of the function type. */
  readonly typename: string;
  /** The states it keeps, by the name it uses in `ctx.state`. */
  readonly state?: S;
  /** The message types it accepts; a message of another type is dead-lettered with the reason. */
  readonly accepts: readonly A[];
  /** Runs for each message, one at a time per address. Throwing retries it, then dead-letters it. */
  readonly handler: (ctx: Context<S>, message: Message<A>) => void | Promise<void>;
  readonly retry?: { maxAttempts?: number; initialBackoff?: Duration; maxBackoff?: Duration };
  /** Instance time-to-live: an instance not invoked for this long is dropped whole, as if it never existed. */
  readonly instanceTtl?: Duration;
}

/** A stateful function type, ready to load into a runtime or a test harness. */
export interface StatefulFunction<S extends StateSpecs = any, A extends Type<any> = any> extends FunctionRef<ValueOf<A>> {
  readonly namespace: string;
  readonly name: string;
  readonly stateSpecs: S;
  /** Every declared state, by its storage name. */
  readonly specs: ReadonlyMap<string, ValueSpec<unknown>>;
  readonly accepts: readonly A[];
  readonly handler: (ctx: Context<S>, message: Message<A>) => void | Promise<void>;
  readonly retry: RetryPolicy;
  /** Instance time-to-live in milliseconds, when set. */
  readonly instanceTtlMs?: number | undefined;
  at(id: string): TypedAddress<ValueOf<A>>;
}

/**
 * Defines a stateful function. The compiler checks the types it accepts, the states it
 * reads and writes, and the messages it sends.
 *
 * @example
 * const visits = valueSpec("visits", Types.int);
 * export const person = statefulFunction({
 *   typename: "example/person",
 *   state: { visits },
 *   accepts: [GreetRequest],
 *   handler(ctx, message) {
 *     const request = message.as(GreetRequest);
 *     const seen = (ctx.state.visits.get() ?? 0) + 1;
 *     ctx.state.visits.set(seen);
 *     ctx.send(greeter.at(request.name), GreetRequest, request);
 *   },
 * });
 */
export function statefulFunction<const S extends StateSpecs = {}, A extends Type<any> = never>(
  definition: FunctionDefinition<S, A>,
): StatefulFunction<S, A> {
  const { namespace, name } = parseTypeName(definition.typename);
  const stateSpecs = (definition.state ?? {}) as S;
  const specs = new Map<string, ValueSpec<unknown>>();
  for (const spec of Object.values(stateSpecs)) {
    if (specs.has(spec.name)) throw new TypeError(`${definition.typename}: state ${spec.name} is declared twice`);
    specs.set(spec.name, spec);
  }
  if (definition.accepts.length === 0) throw new TypeError(`${definition.typename}: accepts lists no message type`);
  const retry = definition.retry ?? {};
  const fn: StatefulFunction<S, A> = {
    typename: definition.typename,
    namespace,
    name,
    stateSpecs,
    specs,
    accepts: definition.accepts,
    handler: definition.handler,
    retry: {
      maxAttempts: Math.max(1, retry.maxAttempts ?? DEFAULT_RETRY.maxAttempts),
      initialBackoffMs: retry.initialBackoff === undefined ? DEFAULT_RETRY.initialBackoffMs : toMillis(retry.initialBackoff),
      maxBackoffMs: retry.maxBackoff === undefined ? DEFAULT_RETRY.maxBackoffMs : toMillis(retry.maxBackoff),
    },
    instanceTtlMs: instanceTtlOf(definition),
    at: (id) => ({ namespace, type: name, id }),
  };
  Object.defineProperty(fn, functionBrand, { value: true });
  return fn;
}

function instanceTtlOf(definition: FunctionDefinition<any, any>): number | undefined {
  if (definition.instanceTtl === undefined) return undefined;
  const ms = toMillis(definition.instanceTtl, `${definition.typename}: instanceTtl`);
  if (ms <= 0) throw new TypeError(`${definition.typename}: instanceTtl must be longer than 0, got ${String(definition.instanceTtl)}`);
  return ms;
}

export function isStatefulFunction(value: unknown): value is StatefulFunction {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[functionBrand] === true;
}
