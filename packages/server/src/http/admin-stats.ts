import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import type { StatsSample } from "../stats/history.js";
import { HttpError } from "./errors.js";

/** Where `/v1/stats` and `/v1/info` read from (a `StatsHistory` and what the worker knows of itself). */
export interface StatsSource {
  readonly intervalMs: number;
  readonly capacity: number;
  window(seconds?: number): StatsSample[];
  /** The worker: its name, store, start time. */
  readonly info: () => { worker: string; store: string; clustered: boolean; ready: boolean; startedAt: number };
}

const version = (() => {
  try {
    return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
})();

/**
 * `GET /v1/stats?window=<seconds>` (default 300, at most what is kept): the metrics history,
 * oldest sample first, one per interval (see `StatsSample`). `GET /v1/info`: version, uptime,
 * worker name, store, readiness.
 */
export function statsRoutes(app: FastifyInstance, stats: StatsSource): void {
  const maxSeconds = Math.ceil((stats.capacity * stats.intervalMs) / 1000);
  app.get("/v1/stats", async (request) => {
    const raw = (request.query as Record<string, unknown>).window;
    const seconds = raw === undefined ? Math.min(300, maxSeconds) : Number(raw);
    if (typeof raw !== "undefined" && (typeof raw !== "string" || !/^\d+$/.test(raw) || seconds < 1 || seconds > maxSeconds)) {
      throw new HttpError(
        400,
        "STATEFUN_BAD_REQUEST",
        `invalid window ${JSON.stringify(raw)}: expected whole seconds from 1 to ${maxSeconds}`,
      );
    }
    return { intervalMs: stats.intervalMs, window: seconds, samples: stats.window(seconds) };
  });
  app.get("/v1/info", async () => {
    const info = stats.info();
    return {
      version,
      ...info,
      startedAt: new Date(info.startedAt).toISOString(),
      uptimeSeconds: Math.floor((Date.now() - info.startedAt) / 1000),
    };
  });
}
