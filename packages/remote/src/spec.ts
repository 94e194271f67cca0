import { parseTypeName, StatefunError } from "@statefun-ts/protocol";
import { resolveEndpoint } from "./url.js";

/**
 * A remote endpoint serving StateFun functions (the `io.statefun.endpoints.v2/http` kind of a
 * module file), with StateFun's defaults where a field is left out.
 *
 * @example
 * const spec: HttpEndpointSpec = {
 *   functions: "example/*",
 *   urlPathTemplate: "https://functions.internal:8000/statefun/{function.name}",
 *   timeouts: { callMs: 30_000 },
 *   tls: { ca: readFileSync("ca.pem", "utf8") },
 * };
 */
export interface HttpEndpointSpec {
  /** "namespace/name" or "namespace/*" (a whole namespace) */
  readonly functions: string;
  /** URL template; "{function.name}" is replaced by the function type's name. Schemes: http, https, http+unix:///path/file.sock/url/path (first path segment ending in .sock is the socket) */
  readonly urlPathTemplate: string;
  /** Most messages of one address in one request (StateFun default 1000) */
  readonly maxNumBatchRequests?: number;
  /**
   * `callMs`: budget of one request, retries included (default 1 min); `connectMs`: opening a
   * connection (10 s); `readMs`: waiting for response headers, and between body chunks (10 s);
   * `writeMs`: a stalled request write (10 s).
   */
  readonly timeouts?: { readonly callMs?: number; readonly connectMs?: number; readonly readMs?: number; readonly writeMs?: number };
  /**
   * Instance time-to-live (ms, our extension): an instance of these functions not invoked for this
   * long is dropped whole, as if it never existed (default: never).
   */
  readonly instanceTtlMs?: number;
  /** Connections per origin (keep-alive pool, default 64), and the most requests of the binding in flight at once. */
  readonly poolSize?: number;
  /** Largest response body accepted (default 64 MiB). */
  readonly payloadMaxBytes?: number;
  /** PEM contents (the YAML loader reads files): `ca` to trust, `cert` and `key` for mutual TLS. */
  readonly tls?: { readonly ca?: string | Uint8Array; readonly cert?: string | Uint8Array; readonly key?: string | Uint8Array };
}

/** An endpoint spec with every default filled in, checked. */
export interface EndpointOptions {
  readonly functions: string;
  readonly urlPathTemplate: string;
  readonly maxBatch: number;
  readonly callMs: number;
  readonly connectMs: number;
  readonly readMs: number;
  readonly writeMs: number;
  readonly poolSize: number;
  readonly payloadMaxBytes: number;
  readonly instanceTtlMs: number | undefined;
  readonly tls: NonNullable<HttpEndpointSpec["tls"]>;
}

export const DEFAULTS = {
  maxBatch: 1000,
  callMs: 60_000,
  connectMs: 10_000,
  readMs: 10_000,
  writeMs: 10_000,
  poolSize: 64,
  payloadMaxBytes: 64 * 1024 * 1024,
} as const;

/** Fills in defaults and rejects invalid settings with a `STATEFUN_BAD_CONFIG` error naming the field. */
export function endpointOptions(spec: HttpEndpointSpec): EndpointOptions {
  const { name } = parseTypeName(spec.functions);
  const probe = name === "*" ? `${spec.functions.slice(0, -2)}/probe` : spec.functions;
  const endpoint = resolveEndpoint(spec.urlPathTemplate, probe);
  const t = spec.timeouts ?? {};
  const options: EndpointOptions = {
    functions: spec.functions,
    urlPathTemplate: spec.urlPathTemplate,
    maxBatch: positive("maxNumBatchRequests", spec.maxNumBatchRequests ?? DEFAULTS.maxBatch),
    callMs: positive("timeouts.callMs", t.callMs ?? DEFAULTS.callMs),
    connectMs: positive("timeouts.connectMs", t.connectMs ?? DEFAULTS.connectMs),
    readMs: positive("timeouts.readMs", t.readMs ?? DEFAULTS.readMs),
    writeMs: positive("timeouts.writeMs", t.writeMs ?? DEFAULTS.writeMs),
    poolSize: positive("poolSize", spec.poolSize ?? DEFAULTS.poolSize),
    payloadMaxBytes: positive("payloadMaxBytes", spec.payloadMaxBytes ?? DEFAULTS.payloadMaxBytes),
    instanceTtlMs: spec.instanceTtlMs === undefined ? undefined : positive("instanceTtl", spec.instanceTtlMs),
    tls: spec.tls ?? {},
  };
  const { cert, key } = options.tls;
  if ((cert === undefined) !== (key === undefined)) {
    throw new StatefunError("STATEFUN_BAD_CONFIG", `endpoint ${spec.functions}: tls.cert and tls.key go together (mutual TLS)`);
  }
  if (spec.tls !== undefined && !endpoint.tls) {
    throw new StatefunError(
      "STATEFUN_BAD_CONFIG",
      `endpoint ${spec.functions}: tls settings need an https URL, got ${spec.urlPathTemplate}`,
    );
  }
  return options;
}

function positive(field: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new StatefunError("STATEFUN_BAD_CONFIG", `endpoint setting ${field} must be a positive integer, got ${String(value)}`);
  }
  return value;
}
