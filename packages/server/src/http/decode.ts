import type { TypedValue } from "@statefun-ts/protocol";
import { type Type, Types } from "@statefun-ts/sdk";

/** A typed value shown as JSON: decoded where the type is known, else base64. */
export interface JsonTypedValue {
  readonly typename: string;
  readonly value: unknown;
  readonly encoding?: "base64";
}

const builtins = new Map<string, Type<unknown>>(Object.values(Types).map((t) => [t.typename, t as Type<unknown>]));
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes a typed value for JSON answers: StateFun's built-in types by their codec (`long` as
 * a string, non-finite floats as strings), JSON bytes as JSON, anything else (protobuf,
 * custom binary) as base64 with `"encoding": "base64"`.
 */
export function jsonTypedValue(value: TypedValue): JsonTypedValue {
  const { typename } = value;
  const builtin = builtins.get(typename);
  if (builtin !== undefined) {
    try {
      return { typename, value: jsonSafe(builtin.deserialize(value.value)) };
    } catch {
      return base64(value);
    }
  }
  if (!typename.startsWith("type.googleapis.com/")) {
    try {
      return { typename, value: JSON.parse(utf8.decode(value.value)) };
    } catch {
      // not JSON: fall through
    }
  }
  return base64(value);
}

function jsonSafe(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  return value;
}

function base64(value: TypedValue): JsonTypedValue {
  return { typename: value.typename, value: Buffer.from(value.value).toString("base64"), encoding: "base64" };
}

/** Epoch milliseconds as ISO text, `null` when absent. */
export function isoTime(epochMs: number | undefined): string | null {
  return epochMs === undefined ? null : new Date(epochMs).toISOString();
}
