import { StringCodec, type TypedValue } from "@statefun-ts/protocol";
import { Types } from "@statefun-ts/sdk";

/** A type that writes values of `T` (an SDK `Type`, a `jsonType`, a built-in). */
export interface Serializing<T> {
  readonly typename: string;
  serialize(value: T): Uint8Array;
}

/** `value` as a TypedValue of `type`: `typed(Add, { by: 1 })`, `typed(Types.int, 3)`. */
export function typed<T>(type: Serializing<T>, value: T): TypedValue {
  return { typename: type.typename, value: type.serialize(value) };
}

/** A built-in `io.statefun.types/string`. */
export const str = (s: string): TypedValue => ({ typename: Types.string.typename, value: StringCodec.encode(s) });

/** A built-in `io.statefun.types/int`. */
export const int = (n: number): TypedValue => typed(Types.int, n);

/** `value` as JSON bytes under any typename (no schema check: for bad or foreign messages too). */
export const json = (typename: string, value: unknown): TypedValue => ({
  typename,
  value: new TextEncoder().encode(JSON.stringify(value)),
});

/** The text of a string TypedValue (undefined for none). */
export const text = (v: TypedValue | null | undefined): string | undefined => (v ? StringCodec.decode(v.value) : undefined);
