import type { TypedValue } from "@statefun-ts/protocol";
import { type Type, Types } from "@statefun-ts/sdk";

/** A typed value shown as JSON: decoded where the type is known, else base64. */
export interface JsonTypedValue {
  readonly typename: string;
  readonly value: unknown;
  readonly encoding?: "base64";
  /** Set when the value was larger than MAX_RENDERED_BYTES: `value` holds its first bytes, `size` its length. */
  readonly truncated?: true;
  readonly size?: number;
}

/** Values larger than this are shown as the base64 of their first bytes (64 KiB). */
export const MAX_RENDERED_BYTES = 64 * 1024;
/** JSON nested deeper than this is shown as base64: rendering it again could overflow the stack. */
export const MAX_RENDERED_DEPTH = 64;

const builtins = new Map<string, Type<unknown>>(Object.values(Types).map((t) => [t.typename, t as Type<unknown>]));
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes a typed value for JSON answers: StateFun's built-in types by their codec (`long` as
 * a string, non-finite floats as strings), JSON bytes as JSON, anything else (protobuf,
 * custom binary) as base64 with `"encoding": "base64"`.
 */
export function jsonTypedValue(value: TypedValue): JsonTypedValue {
  const { typename } = value;
  if (value.value.length > MAX_RENDERED_BYTES) {
    const head = Buffer.from(value.value.subarray(0, MAX_RENDERED_BYTES)).toString("base64");
    return { typename, value: head, encoding: "base64", truncated: true, size: value.value.length };
  }
  const builtin = builtins.get(typename);
  if (builtin !== undefined) {
    try {
      return { typename, value: jsonSafe(builtin.deserialize(value.value)) };
    } catch {
      return base64(value);
    }
  }
  if (!typename.startsWith("type.googleapis.com/") && jsonDepth(value.value) <= MAX_RENDERED_DEPTH) {
    try {
      return { typename, value: JSON.parse(utf8.decode(value.value)) };
    } catch {
      // not JSON: fall through
    }
  }
  return base64(value);
}

/** The deepest nesting of `[` and `{` outside strings (bytes that are not JSON give some number; JSON.parse judges them). */
function jsonDepth(bytes: Uint8Array): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
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
