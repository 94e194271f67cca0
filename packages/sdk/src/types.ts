import {
  BoolCodec,
  BuiltinTypeNames,
  DoubleCodec,
  errorText,
  FloatCodec,
  IntCodec,
  LongCodec,
  parseTypeName,
  StatefunError,
  StringCodec,
} from "@statefun-ts/protocol";

const typeBrand = Symbol.for("statefun-ts.type");

/**
 * A type of messages and state values: a type name and its wire encoding. Types are
 * invariant in `T`, so the compiler tells a `Type<number>` from a `Type<string>`. `N` is the
 * type name when the compiler knows it (the built-in types, or a type whose value type is
 * inferred): then `Types.int` and `Types.long` are told apart too.
 *
 * @example
 * const Greeting = jsonType<{ text: string }>("example/Greeting");
 */
export interface Type<T, N extends string = string> {
  readonly typename: N;
  readonly serialize: (value: T) => Uint8Array;
  /** Decodes bytes; throws a `StatefunError` with code `STATEFUN_BAD_MESSAGE` when they do not match. */
  readonly deserialize: (bytes: Uint8Array) => T;
}

/** The value type carried by a `Type`. */
export type ValueOf<X> = X extends Type<infer T, any> ? T : never;

/**
 * A type with your own serializer.
 *
 * @example
 * const Point = customType("geo/Point", {
 *   serialize: (p: { x: number; y: number }) => new TextEncoder().encode(`${p.x},${p.y}`),
 *   deserialize: (b) => { const [x, y] = new TextDecoder().decode(b).split(",").map(Number); return { x: x ?? 0, y: y ?? 0 }; },
 * });
 */
export function customType<T, const N extends string = string>(
  typename: N,
  codec: { serialize: (value: T) => Uint8Array; deserialize: (bytes: Uint8Array) => T },
): Type<T, N> {
  parseTypeName(typename);
  const deserialize = (bytes: Uint8Array): T => {
    try {
      return codec.deserialize(bytes);
    } catch (cause) {
      if (StatefunError.is(cause)) throw cause;
      throw new StatefunError("STATEFUN_BAD_MESSAGE", `bytes do not decode as ${typename}: ${errorText(cause)}`, { cause });
    }
  };
  return brandType<Type<T, N>>({ typename, serialize: codec.serialize, deserialize });
}

/** Marks an object as a type (for `isType`), also across two copies of the library. */
export function brandType<X extends Type<any, string>>(type: X): X {
  Object.defineProperty(type, typeBrand, { value: true });
  return type;
}

export function isType(value: unknown): value is Type<any, string> {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[typeBrand] === true;
}

/** A schema check for JSON types: any object with a `parse` that throws on bad input (zod, valibot, …) or a predicate. */
export type JsonSchema<T> = { parse(value: unknown): T } | ((value: unknown) => value is T);

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * A JSON message type: UTF-8 JSON bytes under your type name, as StateFun's SDKs encode
 * JSON types. With a `schema`, bytes that do not match are rejected when decoded.
 *
 * @example
 * const GreetRequest = jsonType<{ name: string }>("example/GreetRequest", {
 *   schema: (v): v is { name: string } => typeof v === "object" && v !== null && typeof (v as { name?: unknown }).name === "string",
 * });
 */
export function jsonType<T, const N extends string = string>(typename: N, options: { schema?: JsonSchema<T> } = {}): Type<T, N> {
  const { schema } = options;
  return customType<T, N>(typename, {
    serialize: (value) => utf8Encoder.encode(JSON.stringify(value)),
    deserialize: (bytes) => {
      let parsed: unknown;
      const text = utf8Decoder.decode(bytes);
      try {
        parsed = JSON.parse(text);
      } catch (cause) {
        throw new StatefunError("STATEFUN_BAD_MESSAGE", `invalid JSON for ${typename}: ${errorText(cause)}`, { cause });
      }
      if (schema === undefined) return parsed as T;
      if (typeof schema === "function") {
        if (!schema(parsed)) {
          throw new StatefunError(
            "STATEFUN_BAD_MESSAGE",
            // What was sent, not `JSON.stringify(parsed)`: that overflows the stack on deeply nested input.
            `JSON does not match the schema of ${typename}: ${truncate(text)}`,
          );
        }
        return parsed;
      }
      try {
        return schema.parse(parsed);
      } catch (cause) {
        throw new StatefunError("STATEFUN_BAD_MESSAGE", `JSON does not match the schema of ${typename}: ${errorText(cause)}`, { cause });
      }
    },
  });
}

/**
 * A protobuf message type, typed `type.googleapis.com/<full message name>` as StateFun does.
 * Pass the encode and decode functions of your generated code (protobuf-es, protobufjs, …).
 *
 * @example
 * const Order = protobufType("shop.Order", { encode: (o: OrderMsg) => toBinary(OrderSchema, o), decode: (b) => fromBinary(OrderSchema, b) });
 */
export function protobufType<T, const N extends string = string>(
  fullName: N,
  codec: { encode: (value: T) => Uint8Array; decode: (bytes: Uint8Array) => T },
): Type<T, `type.googleapis.com/${N}`> {
  return customType<T, `type.googleapis.com/${N}`>(`type.googleapis.com/${fullName}`, {
    serialize: codec.encode,
    deserialize: codec.decode,
  });
}

function builtin<T, const N extends string>(typename: N, codec: { encode(v: T): Uint8Array; decode(b: Uint8Array): T }): Type<T, N> {
  return customType<T, N>(typename, { serialize: (v) => codec.encode(v), deserialize: (b) => codec.decode(b) });
}

/**
 * StateFun's built-in types, byte-compatible with the official SDKs.
 *
 * @example
 * ctx.send(counter.at("a"), Types.int, 42);
 */
export const Types = {
  bool: builtin(BuiltinTypeNames.bool, BoolCodec),
  int: builtin(BuiltinTypeNames.int, IntCodec),
  long: builtin(BuiltinTypeNames.long, LongCodec),
  float: builtin(BuiltinTypeNames.float, FloatCodec),
  double: builtin(BuiltinTypeNames.double, DoubleCodec),
  string: builtin(BuiltinTypeNames.string, StringCodec),
} as const;

export { errorText } from "@statefun-ts/protocol";

function truncate(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
