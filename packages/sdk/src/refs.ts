import { type Address, parseTypeName } from "@statefun-ts/protocol";
import type { Call } from "./call.js";
import type { Type } from "./types.js";

/**
 * An address that knows which message types its function accepts. Sending a type it does
 * not accept, or a value of the wrong type, does not compile; asking it (`ctx.ask`) needs a
 * call it accepts. A plain `Address` (e.g. a caller) accepts anything.
 *
 * @example
 * const bob: TypedAddress<{ name: string }, typeof GreetRequest> = greeter.at("bob");
 * ctx.send(bob, GreetRequest, { name: "Bob" });
 */
export interface TypedAddress<
  In,
  Accepts extends Type<any, string> = Type<In>,
  Calls extends Call<any, any, string> = Extract<Accepts, Call<any, any, string>>,
> extends Address {
  /** Phantom markers for the compiler; never set at run time. */
  readonly __accepts?: (value: In) => void;
  readonly __types?: (type: Accepts) => void;
  readonly __calls?: (call: Calls) => void;
}

/**
 * A typed reference to a function type, to build typed addresses of its instances: for
 * functions defined elsewhere (another module, or a remote function).
 *
 * @example
 * const greeter = functionRef("example/greeter", { accepts: [GreetRequest] });
 * ctx.send(greeter.at("bob"), GreetRequest, { name: "Bob" });
 * const byValue = functionRef<{ name: string }>("example/greeter"); // checks values only
 */
export interface FunctionRef<In, Accepts extends Type<any, string> = Type<In>> {
  readonly typename: string;
  at(id: string): TypedAddress<In, Accepts>;
}

/**
 * A typed reference to a function type defined elsewhere: by the types it accepts (checked by
 * type name where the compiler knows it), or by the values it accepts.
 *
 * @example
 * const stock = functionRef("shop/stock", { accepts: [RestockItem, GetStock] });
 */
export function functionRef<In>(typename: string): FunctionRef<In>;
export function functionRef<const A extends Type<any, string>>(
  typename: string,
  options: { accepts: readonly A[] },
): FunctionRef<A extends Type<infer T, any> ? T : never, A>;
export function functionRef(typename: string): FunctionRef<unknown, Type<any, string>> {
  const { namespace, name } = parseTypeName(typename);
  return { typename, at: (id) => ({ namespace, type: name, id }) };
}

const egressBrand = Symbol.for("statefun-ts.egress");

/**
 * A typed egress: where an invocation's results leave the system. `egress` is the egress
 * type name; `topic` selects the topic (the playground egress serves `GET /{topic}`).
 *
 * @example
 * const greetings = egressRef("greetings", Types.string);
 * ctx.egress(greetings, "Hello Bob");
 */
export interface EgressRef<T> {
  readonly egress: string;
  readonly topic: string;
  readonly type: Type<T>;
}

/** The egress type name of the playground-compatible HTTP egress. */
export const PLAYGROUND_EGRESS = "io.statefun.playground/egress";

export function egressRef<T>(topic: string, type: Type<T>, egress: string = PLAYGROUND_EGRESS): EgressRef<T> {
  parseTypeName(egress);
  if (!/^[A-Za-z0-9_.-]+$/.test(topic)) {
    throw new TypeError(`invalid egress topic ${JSON.stringify(topic)}: use letters, digits, "_", "-" and "."`);
  }
  const ref: EgressRef<T> = { egress, topic, type };
  Object.defineProperty(ref, egressBrand, { value: true });
  return ref;
}

export function isEgressRef(value: unknown): value is EgressRef<any> {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[egressBrand] === true;
}
