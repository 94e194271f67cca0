import { BoolCodec, BuiltinTypeNames, DoubleCodec, FloatCodec, IntCodec, LongCodec, StringCodec } from "@statefun-ts/protocol";
import type { StateSpecInfo } from "@statefun-ts/runtime/spi";
import type { AnyStateSpec, StatefulFunction } from "@statefun-ts/sdk";

/** How one declared state turns a JSON value into its stored bytes (throws, saying why, when the value does not fit). */
export interface StateEncoder {
  readonly typename: string;
  /** Milliseconds a written value lives (after-write or after-call expiry), absent when it does not expire. */
  readonly expiresAfterMs?: number | undefined;
  encode(value: unknown): Uint8Array;
}

const INT32 = 2 ** 31;

/** The built-in types by name, each checking the JSON value's kind and range first. */
const builtins: Record<string, (value: unknown) => Uint8Array> = {
  [BuiltinTypeNames.bool]: (v) => {
    if (typeof v !== "boolean") throw new Error(`expected true or false, got ${JSON.stringify(v)}`);
    return BoolCodec.encode(v);
  },
  [BuiltinTypeNames.int]: (v) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < -INT32 || v >= INT32) {
      throw new Error(`expected a 32-bit integer, got ${JSON.stringify(v)}`);
    }
    return IntCodec.encode(v);
  },
  [BuiltinTypeNames.long]: (v) => {
    // A number up to 2^53, or a string of digits for the whole 64-bit range.
    const ok = (typeof v === "number" && Number.isSafeInteger(v)) || (typeof v === "string" && /^-?\d{1,19}$/.test(v));
    const n = ok ? BigInt(v as number | string) : undefined;
    if (n === undefined || n < -(2n ** 63n) || n >= 2n ** 63n) throw new Error(`expected a 64-bit whole number, got ${JSON.stringify(v)}`);
    return LongCodec.encode(n);
  },
  [BuiltinTypeNames.float]: (v) => {
    if (typeof v !== "number") throw new Error(`expected a number, got ${JSON.stringify(v)}`);
    return FloatCodec.encode(v);
  },
  [BuiltinTypeNames.double]: (v) => {
    if (typeof v !== "number") throw new Error(`expected a number, got ${JSON.stringify(v)}`);
    return DoubleCodec.encode(v);
  },
  [BuiltinTypeNames.string]: (v) => {
    if (typeof v !== "string") throw new Error(`expected a string, got ${JSON.stringify(v)}`);
    return StringCodec.encode(v);
  },
};

const utf8 = new TextEncoder();

function expiresAfter(expiration: StateSpecInfo["expiration"]): number | undefined {
  return expiration.mode === "none" ? undefined : expiration.millis;
}

/**
 * The encoder of a state an embedded function declares: its own type serializes the value, and
 * the bytes are decoded again so a type with a schema (`jsonType`) rejects what does not match.
 */
export function embeddedEncoder(spec: AnyStateSpec): StateEncoder {
  const { type } = spec;
  return {
    typename: type.typename,
    expiresAfterMs: expiresAfter(spec.expiration),
    encode(value) {
      const builtin = builtins[type.typename];
      if (builtin !== undefined) return builtin(value);
      const bytes = type.serialize(value);
      type.deserialize(bytes);
      return bytes;
    },
  };
}

/**
 * The encoder of a state a remote function registered: built-in types by their codec, any other
 * type as UTF-8 JSON (how StateFun's SDKs encode JSON types).
 */
export function remoteEncoder(spec: StateSpecInfo): StateEncoder {
  const builtin = builtins[spec.typename];
  return {
    typename: spec.typename,
    expiresAfterMs: expiresAfter(spec.expiration),
    encode: builtin ?? ((value) => utf8.encode(JSON.stringify(value))),
  };
}

/** What a function type keeps, for seeding: its value states by name, and its instance time-to-live. */
export interface FunctionStates {
  readonly states: ReadonlyMap<string, StateEncoder>;
  /** State names that cannot be seeded (map and list states), with why. */
  readonly unsupported: ReadonlyMap<string, string>;
  readonly instanceTtlMs?: number | undefined;
}

export function embeddedStates(fn: StatefulFunction): FunctionStates {
  const states = new Map<string, StateEncoder>();
  const unsupported = new Map<string, string>();
  for (const spec of Object.values(fn.stateSpecs as Record<string, AnyStateSpec>)) {
    if (spec.kind === "map" || spec.kind === "list") unsupported.set(spec.name, `a ${spec.kind} state, which cannot be seeded`);
    else states.set(spec.name, embeddedEncoder(spec));
  }
  return { states, unsupported, instanceTtlMs: fn.instanceTtlMs };
}

export function remoteStates(specs: readonly StateSpecInfo[]): FunctionStates {
  return { states: new Map(specs.map((s) => [s.name, remoteEncoder(s)])), unsupported: new Map() };
}
