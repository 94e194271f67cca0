/** HTTP with retries for a system whose workers come and go. */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Statuses worth retrying: the worker is starting, stopping, overloaded, or behind a proxy that lost it. */
const RETRYABLE = new Set([500, 502, 503, 504]);

export interface RetryOptions {
  /** Give up after this long (default 60 s). */
  readonly deadlineMs?: number;
  /** One attempt may take this long (default 10 s). */
  readonly attemptTimeoutMs?: number;
  /** Called before each retry, with why. */
  readonly onRetry?: (reason: string) => void;
  /** Checked before each retry: true gives up at once. */
  readonly stopped?: () => boolean;
}

/** A request that kept failing until its deadline, or was refused (4xx). */
export class RequestFailed extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "RequestFailed";
  }
}

/**
 * Sends one request to the first base URL that takes it, rotating through `bases` and
 * backing off (50 ms doubling to 1 s, jittered) on connection errors and 5xx. Only safe
 * for requests that may be repeated (an ingress PUT with an `Idempotency-Key`, a GET).
 */
export async function requestWithRetry(
  bases: readonly string[],
  path: string,
  init: RequestInit,
  options: RetryOptions = {},
): Promise<Response> {
  if (bases.length === 0) throw new RangeError("no base URLs");
  const deadline = Date.now() + (options.deadlineMs ?? 60_000);
  let lastError = "";
  for (let attempt = 0; ; attempt++) {
    const base = bases[attempt % bases.length]!;
    try {
      const response = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(options.attemptTimeoutMs ?? 10_000) });
      if (!RETRYABLE.has(response.status)) {
        if (response.status >= 400 && response.status !== 404) {
          throw new RequestFailed(
            `${init.method ?? "GET"} ${base}${path}: HTTP ${response.status} ${await response.text()}`,
            response.status,
          );
        }
        return response;
      }
      lastError = `HTTP ${response.status} ${await response.text().catch(() => "")}`;
    } catch (error) {
      if (error instanceof RequestFailed) throw error;
      lastError = describe(error);
    }
    if (options.stopped?.() === true) throw new RequestFailed(`${init.method ?? "GET"} ${path}: given up (stopped): ${lastError}`);
    if (Date.now() >= deadline) {
      throw new RequestFailed(`${init.method ?? "GET"} ${path}: no answer from ${bases.join(", ")} before the deadline: ${lastError}`);
    }
    options.onRetry?.(lastError);
    await sleep(Math.min(1000, 50 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random() / 2));
  }
}

/** A fetch error's useful part: `ECONNREFUSED`, `ECONNRESET`, a timeout. */
export function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
