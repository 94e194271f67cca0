import type { TypedValue } from "@statefun-ts/protocol";
import { toMillis } from "@statefun-ts/protocol";
import type { IngestReceipt, Runtime } from "@statefun-ts/runtime";
import type { HttpIngress } from "@statefun-ts/sdk";
import { HttpError } from "./errors.js";

/** The part of the runtime the ingress uses. */
export type IngressRuntime = Pick<Runtime, "ingest" | "getReply" | "ingresses">;

/** The longest `?await` (5 minutes); longer waits fetch the reply later with `GET /replies/{requestId}`. */
export const MAX_AWAIT_MS = 5 * 60 * 1000;

/** The module ingress declared at `path` (with or without a trailing `/`), if any. */
export function routeOf(ingresses: readonly HttpIngress<unknown>[], path: string): HttpIngress<unknown> | undefined {
  for (const i of ingresses) if (i.path === path || `${i.path}/` === path) return i;
  return undefined;
}

/** The reply to an awaited request within `awaitMs`, if one came. */
export function awaitReply(runtime: IngressRuntime, receipt: IngestReceipt, awaitMs: number): Promise<TypedValue | undefined> {
  return receipt.reply !== undefined ? receipt.reply(awaitMs) : pollReply(runtime, receipt.requestId, awaitMs);
}

/** The headers of an answer to an ingested request: its id, and whether it was a duplicate. */
export function receiptHeaders(receipt: IngestReceipt): Record<string, string> {
  const headers: Record<string, string> = { "statefun-request-id": receipt.requestId };
  if (receipt.duplicate) headers["statefun-duplicate"] = "true";
  return headers;
}

/** The 504 of an awaited request with no reply within `awaitMs`. */
export function replyTimeout(requestId: string, awaitMs: number): HttpError {
  return new HttpError(
    504,
    "STATEFUN_TIMEOUT",
    `no reply to request ${requestId} within ${awaitMs} ms; fetch it later with GET /replies/${requestId}`,
  );
}

/** For a duplicate request without a reply handle: polls the stored reply until the deadline. */
async function pollReply(runtime: IngressRuntime, requestId: string, timeoutMs: number): Promise<TypedValue | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 10; ; wait = Math.min(wait * 2, 500)) {
    const value = await runtime.getReply(requestId);
    const left = deadline - Date.now();
    if (value !== undefined || left <= 0) return value;
    await new Promise((resolve) => setTimeout(resolve, Math.min(wait, left)));
  }
}

/** The last valid `?await` value and its milliseconds: clients send the same one over and over. */
let lastAwait: { raw: string; ms: number } | undefined;

/** The milliseconds of a `?await` value; throws the 400 when it is not a valid one. */
export function awaitMillis(raw: unknown): number {
  if (lastAwait !== undefined && raw === lastAwait.raw) return lastAwait.ms;
  if (typeof raw !== "string" || raw === "") {
    throw new HttpError(400, "STATEFUN_BAD_REQUEST", `invalid ?await=${JSON.stringify(raw)}: give one duration such as 5s or 500ms`);
  }
  let ms: number;
  try {
    ms = toMillis(raw, "?await");
  } catch (error) {
    throw new HttpError(400, "STATEFUN_BAD_REQUEST", (error as Error).message);
  }
  if (ms > MAX_AWAIT_MS) {
    throw new HttpError(
      400,
      "STATEFUN_BAD_REQUEST",
      `?await=${raw} is too long: wait at most ${MAX_AWAIT_MS / 1000}s, then fetch the reply with GET /replies/{requestId}`,
    );
  }
  lastAwait = { raw, ms };
  return ms;
}
