import { type Address, parseTypeName } from "@statefun-ts/protocol";
import type { Type } from "./types.js";

/**
 * An address that knows which message values its function accepts. Sending a value it
 * does not accept does not compile. A plain `Address` (e.g. a caller) accepts anything.
 */
export interface TypedAddress<In> extends Address {
  /** Phantom marker for the compiler; never set at run time. */
  readonly __accepts?: (value: In) => void;
}

/**
 * A typed reference to a function type, to build typed addresses of its instances.
 *
 * @example
 * const greeter = functionRef<{ name: string }>("example/greeter");
 * ctx.send(greeter.at("bob"), GreetRequest, { name: "Bob" });
 */
export interface FunctionRef<In> {
  readonly typename: string;
  at(id: string): TypedAddress<In>;
}

export function functionRef<In>(typename: string): FunctionRef<In> {
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
