import { StatefunError } from "@statefun-ts/protocol";
import { jsonType } from "./types.js";

/**
 * The wire shape of `ctx.ask` (between functions that both use this SDK): a request, its
 * answer and its timeout travel as ordinary messages of these JSON types, so they go through
 * the embedded runtime and remote endpoints alike. Values inside are base64 bytes.
 */
export const ASK_REQUEST = "statefun-ts.ask/Request";
export const ASK_ANSWER = "statefun-ts.ask/Answer";
export const ASK_TIMEOUT = "statefun-ts.ask/Timeout";

/** `{ id, typename, value }`: a request of type `typename`, correlated by `id`. */
export interface RequestEnvelope {
  readonly id: string;
  readonly typename: string;
  readonly value: string;
}

/** The answer to request `id`: a value of type `typename`, or an error. */
export interface AnswerEnvelope {
  readonly id: string;
  readonly typename?: string;
  readonly value?: string;
  readonly error?: { readonly code: string; readonly message: string };
}

/** Fired to the asker when request `id` timed out (cancelled when the answer came first). */
export interface TimeoutEnvelope {
  readonly id: string;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === "string";
const isOptionalText = (v: unknown) => v === undefined || isText(v);

export const RequestEnvelopeType = jsonType<RequestEnvelope>(ASK_REQUEST, {
  schema: (v): v is RequestEnvelope => isObject(v) && isText(v.id) && isText(v.typename) && isText(v.value),
});
export const AnswerEnvelopeType = jsonType<AnswerEnvelope>(ASK_ANSWER, {
  schema: (v): v is AnswerEnvelope =>
    isObject(v) &&
    isText(v.id) &&
    isOptionalText(v.typename) &&
    isOptionalText(v.value) &&
    (v.error === undefined || (isObject(v.error) && isText(v.error.code) && isText(v.error.message))),
});
export const TimeoutEnvelopeType = jsonType<TimeoutEnvelope>(ASK_TIMEOUT, {
  schema: (v): v is TimeoutEnvelope => isObject(v) && isText(v.id),
});

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function fromBase64(text: string, what: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch (cause) {
    throw new StatefunError("STATEFUN_BAD_MESSAGE", `${what} is not base64`, { cause });
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
