import { StatefunError } from "@statefun-ts/protocol";

/**
 * Error codes meaning "the store's disk (or its quota) is full": SQLite's `SQLITE_FULL`, the file
 * system's `ENOSPC`, and PostgreSQL's class 53 `disk_full` (53100).
 */
const NO_SPACE_CODES = new Set(["STATEFUN_DISK_FULL", "SQLITE_FULL", "ENOSPC", "EDQUOT", "53100"]);

/**
 * True when `error` (or one of its causes) says the store ran out of disk space: a failure that
 * goes away once space returns, unlike a broken store. The engine keeps what it could not commit
 * and tries again; the HTTP layer answers such errors with 507.
 */
export function isNoSpace(error: unknown): boolean {
  for (let e = error, depth = 0; typeof e === "object" && e !== null && depth < 8; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && NO_SPACE_CODES.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** The answer to a request refused because the store's disk is full (HTTP 507). */
export function diskFullError(cause?: unknown): StatefunError {
  return new StatefunError(
    "STATEFUN_DISK_FULL",
    "the store's disk is full: nothing new is accepted until space returns (work already accepted is kept and committed then)",
    { cause, terminal: false },
  );
}
