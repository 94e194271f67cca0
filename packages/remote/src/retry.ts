import { StatefunError } from "@statefun-ts/protocol";
import { Abort } from "./abort.js";
import type { HttpResponse } from "./http-client.js";

/** Statuses worth another attempt, as in StateFun: 408, 409, 420, 429, 499 and every 5xx. */
export function retryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 409 || status === 420 || status === 429 || status === 499;
}

/** Backoff before attempt `n + 1`: 10 ms doubling up to 1 s, with jitter over the upper half. */
export function backoffMs(n: number): number {
  const ceiling = Math.min(1000, 10 * 2 ** Math.min(n - 1, 10));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** TLS verification failures: retrying cannot help, so they are terminal at once. */
const CERTIFICATE_ERRORS = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/**
 * Sends one request body until it gets a 2xx response that `accept` accepts (it returns why
 * not, or throws to fail at once), within `budgetMs` in all: retries with backoff on transport
 * errors, timeouts, retryable statuses and refused 2xx responses (`onRetry` hears of each).
 * Rejects with a terminal `StatefunError` (`STATEFUN_FUNCTION_FAILED`) at once on another
 * status, a certificate error or an oversized body, and after the budget with the number of
 * attempts and the last failure.
 *
 * @example
 * const response = await withRetries("example/greeter at http://fns/greeter", 60_000, (abort) => client.post(endpoint, body, abort));
 */
export async function withRetries(
  where: string,
  budgetMs: number,
  attempt: (abort: Abort) => Promise<HttpResponse>,
  onRetry: (attempt: number, failure: string) => void = () => {},
  accept: (response: HttpResponse) => string | undefined = () => undefined,
): Promise<HttpResponse> {
  const started = Date.now();
  const deadline = started + budgetMs;
  let last = "";
  for (let n = 1; ; n++) {
    const abort = new Abort();
    const timer = setTimeout(() => abort.abort(new Error("the call budget ran out")), Math.max(0, deadline - Date.now()));
    let response: HttpResponse | undefined;
    try {
      response = await attempt(abort);
    } catch (error) {
      last = transportFailure(where, error, abort.aborted ? budgetMs : undefined, last);
    } finally {
      clearTimeout(timer);
    }
    if (response !== undefined) {
      if (response.status >= 200 && response.status < 300) {
        const refused = accept(response);
        if (refused === undefined) return response;
        last = refused;
      } else {
        last = `HTTP ${response.status}${preview(response.body, ": ")}`;
        if (!retryableStatus(response.status)) throw new StatefunError("STATEFUN_FUNCTION_FAILED", `${where}: ${last}`);
      }
    }
    const delay = backoffMs(n);
    if (Date.now() + delay >= deadline) {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      throw new StatefunError(
        "STATEFUN_FUNCTION_FAILED",
        `${where}: failed ${n} attempt${n === 1 ? "" : "s"} over ${seconds}s, last: ${last}`,
        { attempts: n },
      );
    }
    onRetry(n, last);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** Describes a failed attempt worth retrying; throws when retrying cannot help. */
function transportFailure(where: string, error: unknown, budgetMs: number | undefined, previous: string): string {
  if (StatefunError.is(error))
    throw new StatefunError(error.code, `${where}: ${error.message}`, { cause: error, terminal: error.terminal });
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && CERTIFICATE_ERRORS.has(code)) {
    throw new StatefunError("STATEFUN_FUNCTION_FAILED", `${where}: ${errorText(error)}`, { cause: error });
  }
  if (budgetMs === undefined) return errorText(error);
  const ranOut = `the call budget of ${budgetMs} ms ran out`;
  return previous === "" ? `no response before ${ranOut}` : `${previous}; then ${ranOut}`;
}

/** The first 200 characters of a body as text, whitespace folded, after `prefix` (nothing for an empty body). */
export function preview(body: Uint8Array, prefix = ""): string {
  const text = new TextDecoder().decode(body.subarray(0, 800)).replace(/\s+/g, " ").trim().slice(0, 200);
  return text === "" ? "" : `${prefix}${text}`;
}

const TIMEOUTS: Record<string, string> = {
  UND_ERR_CONNECT_TIMEOUT: "connect timeout",
  UND_ERR_HEADERS_TIMEOUT: "read timeout (no response headers)",
  UND_ERR_BODY_TIMEOUT: "read timeout (response body stalled)",
};

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: string }).code;
  const first = error instanceof AggregateError ? (error.errors[0] as Error | undefined) : undefined;
  const message = error.message || first?.message || error.name;
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
  const prefix = code === undefined ? "" : TIMEOUTS[code] ? `${TIMEOUTS[code]}: ` : message.includes(code) ? "" : `${code}: `;
  return `${prefix}${message}${cause}`;
}
