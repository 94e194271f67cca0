import type { Socket } from "node:net";
import { StatefunError } from "@statefun-ts/protocol";
import { buildConnector, type Dispatcher, Pool } from "undici";
import type { Abort } from "./abort.js";
import { ResponseCollector } from "./response-collector.js";
import type { EndpointOptions } from "./spec.js";
import type { Endpoint } from "./url.js";

/** A response: its status, content type and body (an error body is cut at `ERROR_BODY_BYTES`). */
export interface HttpResponse {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: Uint8Array;
}

/** The request headers of every call (undici takes them as a flat list of names and values). */
const HEADERS = ["content-type", "application/octet-stream", "accept", "application/octet-stream"];

/**
 * POSTs request bodies over keep-alive connection pools, one pool per origin (or socket file),
 * each with at most `poolSize` connections. Each request is dispatched with a handler that
 * gathers the body itself (no response stream, no abort signal per request). Transport failures
 * reject with undici's errors; an oversized body rejects with a terminal `StatefunError`.
 */
export class HttpClient {
  private readonly pools = new Map<string, Pool>();
  private closed = false;

  constructor(private readonly o: EndpointOptions) {}

  /** One POST; `abort` cancels it (a request still queued for a connection is rejected at once). */
  post(endpoint: Endpoint, body: Uint8Array, abort: Abort): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const collector = new ResponseCollector(this.o.payloadMaxBytes, abort, resolve, reject);
      const options: Dispatcher.DispatchOptions = { method: "POST", path: endpoint.path, headers: HEADERS, body };
      this.pool(endpoint).dispatch(options, collector);
    });
  }

  /** How many origins (or socket files) it has a pool for. */
  get origins(): number {
    return this.pools.size;
  }

  /** Closes every pool once its requests are done. */
  async close(): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close()));
  }

  private pool(endpoint: Endpoint): Pool {
    let pool = this.pools.get(endpoint.poolKey);
    if (pool !== undefined) return pool;
    if (this.closed) throw new StatefunError("STATEFUN_CLOSED", `the client of ${endpoint.url} is closed`, { terminal: false });
    const o = this.o;
    const tls = endpoint.tls ? { ca: pem(o.tls.ca), cert: pem(o.tls.cert), key: pem(o.tls.key) } : {};
    const connect = withWriteTimeout(buildConnector({ ...tls, timeout: o.connectMs, socketPath: endpoint.socketPath ?? null }), o.writeMs);
    pool = new Pool(endpoint.origin, { connections: o.poolSize, connect, headersTimeout: o.readMs, bodyTimeout: o.readMs });
    this.pools.set(endpoint.poolKey, pool);
    return pool;
  }
}

/** Destroys a connection whose pending write made no progress for `ms` (undici has no write timeout). */
function withWriteTimeout(connector: buildConnector.connector, ms: number): buildConnector.connector {
  return (options, callback) =>
    connector(options, (error, socket) => {
      if (socket) watchWrites(socket, ms);
      (callback as (e: Error | null, s: Socket | null) => void)(error, socket);
    });
}

function watchWrites(socket: Socket, ms: number): void {
  socket.setTimeout(ms);
  socket.on("timeout", () => {
    if (socket.writableLength > 0 || socket.writableNeedDrain) {
      socket.destroy(new Error(`write timeout: the request was not sent within ${ms} ms`));
    }
  });
}

function pem(value: string | Uint8Array | undefined): string | Buffer | undefined {
  return value === undefined || typeof value === "string" ? value : Buffer.from(value);
}
