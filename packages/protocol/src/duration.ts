import { StatefunError } from "./errors.js";

/** A duration: milliseconds, or text in StateFun's syntax such as `"500ms"`, `"5s"`, `"2min"`, `"1h"`, `"7d"`. */
export type Duration = number | string;

/** The unit labels of Flink's TimeUtils.parseDuration, which StateFun reads module files with (and a few more). */
const UNITS: Record<string, number> = {
  ns: 1e-6,
  nano: 1e-6,
  nanos: 1e-6,
  nanosecond: 1e-6,
  nanoseconds: 1e-6,
  "\u00b5s": 1e-3,
  us: 1e-3,
  micro: 1e-3,
  micros: 1e-3,
  microsecond: 1e-3,
  microseconds: 1e-3,
  ms: 1,
  milli: 1,
  millis: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
};

/**
 * The longest duration, 10,000 years in milliseconds. A due time or expiry `now + duration` then
 * stays a valid date and fits every store's timestamp column (a delay of 2^63 ms overflows
 * PostgreSQL's bigint and JavaScript's Date).
 */
export const MAX_DURATION_MS = 10_000 * 365.25 * 86_400_000;

/**
 * Converts a duration to whole milliseconds. A bare number (or numeric text) is milliseconds.
 * Longer than `MAX_DURATION_MS` is an error.
 *
 * @example
 * toMillis("5s") // 5000
 */
export function toMillis(duration: Duration, where = "duration"): number {
  if (typeof duration === "number") {
    if (!Number.isFinite(duration) || duration < 0) {
      throw new StatefunError("STATEFUN_BAD_CONFIG", `${where}: ${duration} is not a non-negative number of milliseconds`);
    }
    return bounded(Math.round(duration), duration, where);
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z\u00b5]*)\s*$/.exec(duration);
  const unit = match?.[2]?.toLowerCase() || "ms";
  const factor = UNITS[unit];
  if (!match || factor === undefined) {
    throw new StatefunError(
      "STATEFUN_BAD_CONFIG",
      `${where}: invalid duration ${JSON.stringify(duration)} (use a number and a unit such as 500ms, 5s, 2min, 1h, 7d)`,
    );
  }
  return bounded(Math.round(Number(match[1]) * factor), duration, where);
}

function bounded(ms: number, duration: Duration, where: string): number {
  if (ms <= MAX_DURATION_MS) return ms;
  throw new StatefunError(
    "STATEFUN_BAD_CONFIG",
    `${where}: ${JSON.stringify(duration)} is longer than the longest duration, 10000 years (${MAX_DURATION_MS} ms)`,
  );
}
