import { isIP } from "node:net";
import { StatefunError } from "@statefun-ts/protocol";

/** The environment variable holding the admin API's bearer token. */
export const ADMIN_TOKEN_ENV = "STATEFUN_ADMIN_TOKEN";
/** The shortest admin token accepted: a guessable one would be worse than none, because it looks safe. */
export const MIN_ADMIN_TOKEN_LENGTH = 16;

/** True for `127.0.0.1` (any of 127/8), `::1` and `localhost`. */
export function isLoopback(host: string): boolean {
  if (host === "localhost" || host === "::1" || host === "[::1]") return true;
  return isIP(host) === 4 && host.startsWith("127.");
}

/**
 * The token the admin API requires, if any: required (and refused when missing) for a
 * non-loopback address; when set, required on loopback too.
 */
export function adminToken(host: string, token: string | undefined): string | undefined {
  if (token !== undefined && token.length === 0) token = undefined;
  if (token === undefined && !isLoopback(host)) {
    throw new StatefunError(
      "STATEFUN_BAD_CONFIG",
      `the admin API would listen on ${host}, which is not a loopback address: set ${ADMIN_TOKEN_ENV} to the bearer token clients must send`,
    );
  }
  if (token !== undefined && token.length < MIN_ADMIN_TOKEN_LENGTH) {
    throw new StatefunError(
      "STATEFUN_BAD_CONFIG",
      `${ADMIN_TOKEN_ENV} is ${token.length} characters long: an admin token must have at least ${MIN_ADMIN_TOKEN_LENGTH} characters (e.g. openssl rand -hex 32)`,
    );
  }
  return token;
}
