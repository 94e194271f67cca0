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

class ReceivedMessage<A extends Type<unknown>> implements Message<A> {
  private decodedAs: Type<unknown> | undefined;
  private decoded: unknown;

  constructor(readonly typedValue: TypedValue) {}

  get typename(): string {
    return this.typedValue.typename;
  }

  is(type: A): boolean {
    return type.typename === this.typedValue.typename;
  }

  as<X extends A>(type: X): X extends Type<infer T> ? T : never {
    if (type.typename !== this.typedValue.typename) {
      throw new StatefunError("STATEFUN_BAD_MESSAGE", `message is of type ${this.typedValue.typename}, not ${type.typename}`);
    }
    if (this.decodedAs !== type) {
      this.decoded = type.deserialize(this.typedValue.value);
      this.decodedAs = type;
    }
    return this.decoded as X extends Type<infer T> ? T : never;
  }
}

export function message<A extends Type<unknown>>(typedValue: TypedValue): Message<A> {
  return new ReceivedMessage<A>(typedValue);
}
