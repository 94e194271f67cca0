import { BuiltinTypeNames, StringCodec, type TypedValue } from "@statefun-ts/protocol";
import type { EgressRecord } from "../effects.js";
import { PLAYGROUND_EGRESS } from "../refs.js";

/**
 * The type of the records StateFun's playground egress takes: JSON `{"topic", "payload"}`.
 *
 * @example
 * if (argument.typename === PLAYGROUND_EGRESS_RECORD) console.log(JSON.parse(text).topic);
 */
export const PLAYGROUND_EGRESS_RECORD = "io.statefun.playground/EgressRecord";

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The text a playground egress record carries for a value: the string itself for
 * `Types.string`, the JSON text for values that are UTF-8 JSON (JSON types), else the
 * bytes in base64.
 *
 * @example
 * playgroundPayload({ typename: "io.statefun.types/string", value: StringCodec.encode("hi") }); // "hi"
 */
export function playgroundPayload(value: TypedValue): string {
  if (value.typename === BuiltinTypeNames.string) return StringCodec.decode(value.value);
  const text = jsonText(value.value);
  return text ?? base64(value.value);
}

/**
 * An egress record as it goes over the wire: for the playground egress, an
 * `io.statefun.playground/EgressRecord` as StateFun's playground expects (the topic travels
 * inside it); for any other egress, the value as typed (the topic stays with the egress).
 *
 * @example
 * wireEgressArgument({ egress: PLAYGROUND_EGRESS, topic: "greetings", argument: hello });
 * // { typename: "io.statefun.playground/EgressRecord", value: utf8('{"topic":"greetings","payload":"Hello"}') }
 */
export function wireEgressArgument(record: EgressRecord): TypedValue {
  if (record.egress !== PLAYGROUND_EGRESS) return record.argument;
  const json = JSON.stringify({ topic: record.topic, payload: playgroundPayload(record.argument) });
  return { typename: PLAYGROUND_EGRESS_RECORD, value: utf8.encode(json) };
}

function jsonText(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0) return undefined;
  try {
    const text = strictUtf8.decode(bytes);
    JSON.parse(text);
    return text;
  } catch {
    return undefined;
  }
}

// btoa rather than Buffer: the core runs on any host with Web APIs.
function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
