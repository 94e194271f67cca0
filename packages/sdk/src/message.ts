import { StatefunError, type TypedValue } from "@statefun-ts/protocol";
import type { Type } from "./types.js";

/**
 * A message received by a function. `A` is the union of the types the function accepts:
 * `as` and `is` only take those, so reading a message as a type the function never declared
 * does not compile.
 *
 * @example
 * if (message.is(GreetRequest)) greet(message.as(GreetRequest).name);
 */
export interface Message<A extends Type<unknown>> {
  readonly typename: string;
  readonly typedValue: TypedValue;
  is(type: A): boolean;
  as<X extends A>(type: X): X extends Type<infer T> ? T : never;
}

export function message<A extends Type<unknown>>(typedValue: TypedValue): Message<A> {
  let decoded: { type: Type<unknown>; value: unknown } | undefined;
  return {
    typename: typedValue.typename,
    typedValue,
    is: (type) => type.typename === typedValue.typename,
    as<X extends A>(type: X) {
      if (type.typename !== typedValue.typename) {
        throw new StatefunError("STATEFUN_BAD_MESSAGE", `message is of type ${typedValue.typename}, not ${type.typename}`);
      }
      if (decoded?.type !== type) decoded = { type, value: type.deserialize(typedValue.value) };
      return decoded.value as X extends Type<infer T> ? T : never;
    },
  };
}
