/**
 * PostgreSQL array literals (`{"a","b",NULL}`) built directly, for `unnest($1::text[], …)`
 * parameters: one parameter per column however many rows a batch has. node-postgres would build
 * the same text, more slowly (it escapes every element with two regular expressions).
 */

const NEEDS_ESCAPE = /[\\"]/;

function quoted(value: string): string {
  return NEEDS_ESCAPE.test(value) ? `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"` : `"${value}"`;
}

/** `text[]`; `undefined` and `null` become NULL. */
export function textArray(values: readonly (string | null | undefined)[]): string {
  let out = "{";
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (i > 0) out += ",";
    out += value == null ? "NULL" : quoted(value);
  }
  return `${out}}`;
}

/** `int[]` or `bigint[]` of integers; `undefined` and `null` become NULL. */
export function intArray(values: readonly (number | null | undefined)[]): string {
  let out = "{";
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (i > 0) out += ",";
    out += value == null ? "NULL" : String(value);
  }
  return `${out}}`;
}

/** `bytea[]`, each element in hex form (`"\\x0a0b"`). */
export function byteaArray(values: readonly Uint8Array[]): string {
  let out = "{";
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (i > 0) out += ",";
    out += `"\\\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex")}"`;
  }
  return `${out}}`;
}
