import { StatefunError } from "@statefun-ts/protocol";
import { errorText } from "../types.js";

/**
 * The media type of StateFun's request and response bodies.
 *
 * @example
 * new Response(bytes, { headers: { "content-type": PROTOCOL_CONTENT_TYPE } });
 */
export const PROTOCOL_CONTENT_TYPE = "application/octet-stream";

/**
 * The largest request body a host entry point reads by default (64 MiB: batches carry every state of an address).
 *
 * @example
 * serve(counter, { port: 8000, maxBodyBytes: 4 * DEFAULT_MAX_BODY_BYTES });
 */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

/**
 * Options shared by the host entry points.
 *
 * @example
 * const options: HostOptions = { maxBodyBytes: 1 << 20, onError: (error) => console.error(error) };
 * nodeHandlerWith(options, counter);
 */
export interface HostOptions {
  /** The largest request body accepted; larger ones are answered 413 (default 64 MiB). */
  readonly maxBodyBytes?: number;
  /** Called with every error answered 500 (default: none; the runtime logs the response text). */
  readonly onError?: (error: unknown) => void;
}

/**
 * An HTTP answer that is not a protocol response: status, headers and text body.
 *
 * @example
 * const answer: PlainAnswer = methodNotAllowed("GET"); // { status: 405, headers: { allow: "POST", … }, body }
 */
export interface PlainAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Errors that no retry can mend, by code: the status that tells the runtime to dead-letter at once. */
const FINAL_STATUS: Partial<Record<string, number>> = { STATEFUN_UNKNOWN_TYPE: 404, STATEFUN_BAD_MESSAGE: 422 };

/**
 * The answer for a failed batch, as the official SDKs give: the error text as body, and its
 * code in `Statefun-Error-Code` when it is a `StatefunError`. 404 for a function type not
 * served here, 422 for a message the function can never take (`STATEFUN_BAD_MESSAGE`: a type it
 * does not accept, bytes that do not decode): retrying cannot help, so the runtime dead-letters
 * at once. Else 500 (retried).
 *
 * @example
 * const { status, headers, body } = failure(new Error("boom")); // 500, text/plain, "boom"
 */
export function failure(error: unknown): PlainAnswer {
  const headers: Record<string, string> = { "content-type": "text/plain; charset=utf-8" };
  if (StatefunError.is(error)) headers["statefun-error-code"] = error.code;
  const status = StatefunError.is(error) ? (FINAL_STATUS[error.code] ?? 500) : 500;
  return { status, headers, body: errorText(error) };
}

/**
 * The 405 answer to anything but `POST`.
 *
 * @example
 * if (method !== "POST") return methodNotAllowed(method);
 */
export function methodNotAllowed(method: string | undefined): PlainAnswer {
  return {
    status: 405,
    headers: { allow: "POST", "content-type": "text/plain; charset=utf-8" },
    body: `method ${method ?? "(none)"} not allowed: StateFun sends each batch as a POST of a ToFunction message`,
  };
}

/**
 * The 413 answer to a body over the limit.
 *
 * @example
 * if (length > limit) return tooLarge(limit);
 */
export function tooLarge(limit: number): PlainAnswer {
  return {
    status: 413,
    headers: { connection: "close", "content-type": "text/plain; charset=utf-8" },
    body: `request body larger than ${limit} bytes (raise maxBodyBytes to accept it)`,
  };
}
