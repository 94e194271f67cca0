import { hostname } from "node:os";
import type { Logger } from "@statefun-ts/runtime";
import { pino } from "pino";

const LEVELS = new Set(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

/**
 * The server's logger: pino JSON lines on stderr (stdout stays free for the CLI's own
 * output), level from `STATEFUN_LOG_LEVEL` (default `info`).
 */
export function createLogger(
  options: { level?: string | undefined; destination?: NodeJS.WritableStream } = {},
): Logger & { level: string } {
  const level = (options.level ?? process.env.STATEFUN_LOG_LEVEL ?? "info").toLowerCase();
  if (!LEVELS.has(level)) {
    throw new Error(`invalid log level ${JSON.stringify(level)} (STATEFUN_LOG_LEVEL): use one of ${[...LEVELS].join(", ")}`);
  }
  // `service`, not pino's `name`: log calls carry a `name` of their own (a module's), and a line must not have two.
  return pino(
    { level, base: { service: "statefun", pid: process.pid, hostname: hostname() } },
    options.destination ?? pino.destination({ dest: 2, sync: true }),
  );
}
