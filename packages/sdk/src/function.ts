import { DEFAULT_RETRY, type Duration, parseTypeName, type RetryPolicy, toMillis } from "@statefun-ts/protocol";
import type { AskSpecs } from "./ask-types.js";
import { AskSession, PENDING_ASKS, pendingAsksSpec, type ReplyHandler } from "./asks.js";
import type { AnyStateSpec, Context, StateSpecs } from "./context.js";
import type { DispatchDefinition, FunctionDefinition, MessageSpecs, RepliesFor } from "./definition.js";
import { dispatch, type Route } from "./dispatch.js";
import type { Message } from "./message.js";
import type { FunctionRef, TypedAddress } from "./refs.js";
import type { Type, ValueOf } from "./types.js";

const functionBrand = Symbol.for("statefun-ts.function");

export { DEFAULT_RETRY, type RetryPolicy } from "@statefun-ts/protocol";

/**
 * A stateful function type, ready to load into a runtime or a test harness. `A` is the
 * union of the message types it accepts: its addresses (`at`) only take those.
 *
 * @example
 * const bob: TypedAddress<{ name: string }, typeof GreetRequest> = person.at("Bob");
 */
export interface StatefulFunction<S extends StateSpecs = any, A extends Type<any, string> = any> extends FunctionRef<ValueOf<A>, A> {
  readonly namespace: string;
  readonly name: string;
  readonly stateSpecs: S;
  /** Every state kept, by its storage name (map and list states by the prefix of their entries; the pending asks included). */
  readonly specs: ReadonlyMap<string, AnyStateSpec>;
  /** Every message type it accepts on the wire: the declared ones, and the envelopes of `ctx.ask` when it asks or answers calls. */
  readonly accepts: readonly Type<any, string>[];
  /** The declared message types. */
  readonly messageTypes: readonly A[];
  /** Runs one message (checked against its type first): what a host calls with an invocation's context. */
  readonly handler: (ctx: Context<any, any>, message: Message<any>) => void | Promise<void>;
  readonly retry: RetryPolicy;
  /** Instance time-to-live in ms, when set. */
  readonly instanceTtlMs: number | undefined;
  at(id: string): TypedAddress<ValueOf<A>, A>;
}

/**
 * Defines a stateful function, with one `handler` for the types it `accepts`, or with one
 * typed handler per type in `messages` (`handlers`: exhaustive, a missing one does not
 * compile). The compiler checks the types it accepts, the states it reads and writes, the
 * messages it sends, and the calls it asks (`asks`, answered in `replies`).
 *
 * @example
 * const visits = valueSpec("visits", Types.int);
 * export const person = statefulFunction({
 *   typename: "example/person",
 *   state: { visits },
 *   messages: { greet: GreetRequest },
 *   handlers: {
 *     greet(ctx, request) {
 *       const seen = (ctx.state.visits.get() ?? 0) + 1;
 *       ctx.state.visits.set(seen);
 *       ctx.send(greeter.at(request.name), GreetRequest, request);
 *     },
 *   },
 * });
 */
export function statefulFunction<
  const S extends StateSpecs = {},
  const M extends MessageSpecs = never,
  A extends Type<any, string> = never,
  const Q extends AskSpecs = {},
>(
  definition: (DispatchDefinition<S, M, Q> | FunctionDefinition<S, A, Q>) & RepliesFor<S, Q>,
): StatefulFunction<S, [M] extends [never] ? A : M[keyof M]>;
export function statefulFunction(
  definition: (DispatchDefinition<StateSpecs, MessageSpecs, AskSpecs> | FunctionDefinition<StateSpecs, Type<any, string>, AskSpecs>) & {
    replies?: Record<string, ReplyHandler> | undefined;
  },
): StatefulFunction {
  const where = definition.typename;
  const { namespace, name } = parseTypeName(where);
  const stateSpecs = definition.state ?? {};
  const specs = new Map<string, AnyStateSpec>();
  const declare = (spec: AnyStateSpec) => {
    if (specs.has(spec.name)) throw new TypeError(`${where}: state ${spec.name} is declared twice`);
    specs.set(spec.name, spec);
  };
  for (const spec of Object.values(stateSpecs)) declare(spec);
  const routes = "messages" in definition ? handlerRoutes(where, definition) : acceptRoutes(where, definition);
  const asks = definition.asks ?? {};
  let session: AskSession | undefined;
  if (Object.keys(asks).length > 0) {
    if (specs.has(PENDING_ASKS)) throw new TypeError(`${where}: state name ${PENDING_ASKS} is reserved for pending asks`);
    declare(pendingAsksSpec);
    const replies = definition.replies ?? {};
    for (const label of Object.keys(asks)) {
      if (typeof replies[label] !== "function") throw new TypeError(`${where}: asks ${label}, but replies has no ${label} handler`);
    }
    session = new AskSession(where, asks, replies);
  }
  const { accepts, handler } = dispatch(where, routes, session);
  const retry = definition.retry ?? {};
  const fn: StatefulFunction = {
    typename: where,
    namespace,
    name,
    stateSpecs,
    specs,
    accepts,
    messageTypes: [...routes.values()].map((r) => r.type),
    handler,
    retry: {
      maxAttempts: Math.max(1, retry.maxAttempts ?? DEFAULT_RETRY.maxAttempts),
      initialBackoffMs: retry.initialBackoff === undefined ? DEFAULT_RETRY.initialBackoffMs : toMillis(retry.initialBackoff),
      maxBackoffMs: retry.maxBackoff === undefined ? DEFAULT_RETRY.maxBackoffMs : toMillis(retry.maxBackoff),
    },
    instanceTtlMs: instanceTtlOf(where, definition.instanceTtl),
    at: (id) => ({ namespace, type: name, id }),
  };
  Object.defineProperty(fn, functionBrand, { value: true });
  return fn;
}

function instanceTtlOf(where: string, ttl: Duration | undefined): number | undefined {
  if (ttl === undefined) return undefined;
  const ms = toMillis(ttl, `${where}: instanceTtl`);
  if (ms <= 0) throw new TypeError(`${where}: instanceTtl must be positive, got ${JSON.stringify(ttl)}`);
  return ms;
}

function addRoute(where: string, routes: Map<string, Route>, route: Route): void {
  if (routes.has(route.type.typename)) throw new TypeError(`${where}: message type ${route.type.typename} is accepted twice`);
  routes.set(route.type.typename, route);
}

function acceptRoutes(where: string, definition: FunctionDefinition<StateSpecs, Type<any, string>, AskSpecs>): Map<string, Route> {
  if (definition.accepts.length === 0) throw new TypeError(`${where}: accepts lists no message type`);
  const routes = new Map<string, Route>();
  const run: Route["run"] = (ctx, message) => definition.handler(ctx, message);
  for (const type of definition.accepts) addRoute(where, routes, { type, run });
  return routes;
}

function handlerRoutes(where: string, definition: DispatchDefinition<StateSpecs, MessageSpecs, AskSpecs>): Map<string, Route> {
  const routes = new Map<string, Route>();
  const handlers = definition.handlers as Record<string, (ctx: unknown, value: unknown, replyTo: unknown) => unknown>;
  for (const [label, type] of Object.entries(definition.messages)) {
    const handle = handlers[label];
    if (typeof handle !== "function") throw new TypeError(`${where}: messages has ${label}, but handlers has no ${label} handler`);
    addRoute(where, routes, { type, run: (ctx, _message, value, replyTo) => handle(ctx, value, replyTo) });
  }
  if (routes.size === 0) throw new TypeError(`${where}: messages lists no message type`);
  return routes;
}

export function isStatefulFunction(value: unknown): value is StatefulFunction {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[functionBrand] === true;
}
