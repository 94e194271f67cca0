import type { TypedValue } from "@statefun-ts/protocol";
import { toMillis } from "@statefun-ts/protocol";
import type { Runtime } from "@statefun-ts/runtime";
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

/** For a duplicate request without a reply handle: polls the stored reply until the deadline. */
export async function pollReply(runtime: IngressRuntime, requestId: string, timeoutMs: number): Promise<TypedValue | undefined> {
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
