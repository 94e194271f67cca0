import { parseTypeName, StatefunError } from "@statefun-ts/protocol";

/** Where one function type's requests go: a connection pool (`poolKey`) and a path on it. */
export interface Endpoint {
  /** The URL as configured, for messages. */
  readonly url: string;
  /** One keep-alive pool per key: the origin, or the socket file of `http+unix`. */
  readonly poolKey: string;
  /** The origin the pool connects to (`http://localhost` over a Unix socket). */
  readonly origin: string;
  /** Path and query of the request. */
  readonly path: string;
  readonly socketPath?: string | undefined;
  readonly tls: boolean;
}

const PLACEHOLDER = "{function.name}";

/**
 * Resolves a URL template for a function type: `{function.name}` becomes the type's name.
 * Schemes: `http`, `https`, and `http+unix:///path/file.sock/url/path`, where the first path
 * segment ending in `.sock` ends the socket file and the rest is the URL path.
 *
 * @example
 * resolveEndpoint("http+unix:///run/fns.sock/{function.name}", "example/greeter")
 * // { url: "http+unix:///run/fns.sock/greeter", poolKey: "unix:/run/fns.sock", origin: "http://localhost", path: "/greeter", socketPath: "/run/fns.sock", tls: false }
 */
export function resolveEndpoint(template: string, functionType: string): Endpoint {
  const url = template.split(PLACEHOLDER).join(parseTypeName(functionType).name);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw bad(template, "not a valid URL");
  }
  const path = `${parsed.pathname || "/"}${parsed.search}`;
  switch (parsed.protocol) {
    case "http:":
    case "https:":
      if (parsed.username || parsed.password) throw bad(template, "credentials in the URL are not supported");
      return { url, poolKey: parsed.origin, origin: parsed.origin, path, tls: parsed.protocol === "https:" };
    case "http+unix:":
      return unixEndpoint(url, template, parsed);
    default:
      throw bad(template, `unsupported scheme ${parsed.protocol.slice(0, -1)} (use http, https or http+unix)`);
  }
}

function unixEndpoint(url: string, template: string, parsed: URL): Endpoint {
  if (parsed.host !== "") throw bad(template, "http+unix URLs have no host: write http+unix:///path/to/file.sock/url/path");
  const segments = parsed.pathname.split("/");
  const end = segments.findIndex((s) => s.endsWith(".sock"));
  if (end < 0) throw bad(template, "no path segment ends in .sock (the socket file)");
  const socketPath = decodeURIComponent(segments.slice(0, end + 1).join("/"));
  const rest = segments.slice(end + 1).join("/");
  return {
    url,
    poolKey: `unix:${socketPath}`,
    origin: "http://localhost",
    path: `/${rest}${parsed.search}`,
    socketPath,
    tls: false,
  };
}

function bad(template: string, why: string): StatefunError {
  return new StatefunError("STATEFUN_BAD_CONFIG", `invalid endpoint URL ${JSON.stringify(template)}: ${why}`);
}
