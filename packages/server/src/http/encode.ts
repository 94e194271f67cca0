import { parseTypeName, type TypedValue } from "@statefun-ts/protocol";
import { type Type, Types } from "@statefun-ts/sdk";
import { HttpError } from "./errors.js";

/** The JSON type a built-in type's value must have (`long`: a number or a string of digits). */
const builtinJsType: Record<string, string> = {
  bool: "boolean",
  int: "number",
  long: "long",
  float: "number",
  double: "number",
  string: "string",
};
const builtins = new Map<string, Type<unknown>>(Object.values(Types).map((t) => [t.typename, t as Type<unknown>]));

/**
 * The inverse of `jsonTypedValue`: `{"typename", "value", "encoding"?}` as typed bytes. Built-in
 * types through their codec (`long` from a string or number), `"encoding": "base64"` as raw
 * bytes, anything else as JSON text.
 */
export function typedValueFromJson(json: unknown, where: string): TypedValue {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new HttpError(400, "STATEFUN_BAD_REQUEST", `${where}: expected a JSON object {"typename", "value"}`);
  }
  const { typename, value, encoding } = json as Record<string, unknown>;
  if (typeof typename !== "string") throw new HttpError(400, "STATEFUN_BAD_REQUEST", `${where}: "typename" must be a string`);
  try {
    parseTypeName(typename);
  } catch (error) {
    throw new HttpError(400, "STATEFUN_BAD_TYPENAME", `${where}: ${(error as Error).message}`);
  }
  if (value === undefined) throw new HttpError(400, "STATEFUN_BAD_REQUEST", `${where}: "value" is missing`);
  if (encoding !== undefined) {
    if (encoding !== "base64" || typeof value !== "string") {
      throw new HttpError(400, "STATEFUN_BAD_REQUEST", `${where}: "encoding" may only be "base64", with a string value`);
    }
    return { typename, value: new Uint8Array(Buffer.from(value, "base64")) };
  }
  const builtin = builtins.get(typename);
  if (builtin !== undefined) {
    const expected = builtinJsType[typename.slice(typename.indexOf("/") + 1)] ?? "string";
    const ok =
      expected === "long" ? typeof value === "number" || (typeof value === "string" && /^-?\d+$/.test(value)) : typeof value === expected;
    if (!ok) throw new HttpError(400, "STATEFUN_BAD_REQUEST", `${where}: ${jsonText(value, where)} is not a ${typename}`);
    try {
      return { typename, value: builtin.serialize(typename.endsWith("/long") ? BigInt(value as string | number) : value) };
    } catch (error) {
      throw new HttpError(
        400,
        "STATEFUN_BAD_REQUEST",
        `${where}: ${jsonText(value, where)} is not a ${typename}: ${(error as Error).message}`,
      );
    }
  }
  return { typename, value: new TextEncoder().encode(jsonText(value, where)) };
}

/**
 * `JSON.stringify` of a value parsed from a request body, or a 400 naming it: a value nested
 * too deep (a 200 KB body of `[` reaches 100,000 levels) overflows the stack when written back.
 */
function jsonText(value: unknown, where: string): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    throw new HttpError(
      400,
      "STATEFUN_BAD_REQUEST",
      `${where}: "value" is nested too deeply to write as JSON (${(error as Error).message}); send deep values as {"encoding":"base64"}`,
    );
  }
}
