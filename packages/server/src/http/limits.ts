import { readFileSync } from "node:fs";

/** Limits of each HTTP server against slow or too many clients. */
export interface HttpLimits {
  /** Time to receive a request's headers (default 10 s). */
  readonly headersTimeoutMs: number;
  /** Time to receive a whole request, body included (default 30 s); then `408`. Waiting for a reply (`?await`) is not counted. */
  readonly requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open (default 5 s). */
  readonly keepAliveTimeoutMs: number;
  /**
   * Most open connections of the ingress and egress servers each (default 4096, and at most a
   * third of the process's open-file limit less a reserve); the admin server has its own, smaller
   * limit, so `/healthz` and the admin API answer while the ingress is full. Past it, a new
   * connection closes the oldest one with no whole request waiting for its answer (a slow client
   * still sending, or an idle one), or, when every connection has one, is closed at once.
   */
  readonly maxConnections: number;
  /** How long stopping waits for requests in progress before it closes their connections (default 10 s). */
  readonly shutdownDrainMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 4096,
  shutdownDrainMs: 10_000,
};

/** Connections of the admin server: its own budget, so a full ingress cannot lock operators out. */
export const ADMIN_MAX_CONNECTIONS = 128;
/** Open files kept free of ingress and egress connections: the admin server, the store, module files. */
const RESERVED_FILES = ADMIN_MAX_CONNECTIONS + 64;

/** The limits given, over the defaults; `maxConnections` capped by the open-file limit. */
export function httpLimits(given: Partial<HttpLimits> = {}, openFiles = openFileLimit()): HttpLimits {
  const limits = { ...DEFAULT_HTTP_LIMITS, ...given };
  if (given.maxConnections !== undefined || openFiles === undefined) return limits;
  const share = Math.max(16, Math.floor((openFiles - RESERVED_FILES) / 3));
  return { ...limits, maxConnections: Math.min(limits.maxConnections, share) };
}

/** The soft limit of open files of this process (Linux: /proc/self/limits), if known. */
function openFileLimit(): number | undefined {
  try {
    const line = readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const soft = line?.slice("Max open files".length).trim().split(/\s+/)[0];
    return soft === undefined || soft === "unlimited" ? undefined : Number(soft) || undefined;
  } catch {
    return undefined;
  }
}
