import type { Socket } from "node:net";
import { StatefunError } from "@statefun-ts/protocol";
import { buildConnector, Pool } from "undici";
import type { EndpointOptions } from "./spec.js";
import type { Endpoint } from "./url.js";

/** A response: its status, content type and body (an error body is cut at `ERROR_BODY_BYTES`). */
export interface HttpResponse {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: Uint8Array;
}

const ERROR_BODY_BYTES = 4096;

/**
 * POSTs request bodies over keep-alive connection pools, one pool per origin (or socket file),
 * each with at most `poolSize` connections. Transport failures reject with undici's errors;
 * an oversized body rejects with a terminal `StatefunError`.
 */
export class HttpClient {
  private readonly pools = new Map<string, Pool>();
  private closed = false;

  constructor(private readonly o: EndpointOptions) {}

  async post(endpoint: Endpoint, body: Uint8Array, signal: AbortSignal): Promise<HttpResponse> {
    const response = await this.pool(endpoint).request({
      method: "POST",
      path: endpoint.path,
      headers: { "content-type": "application/octet-stream", accept: "application/octet-stream" },
      body,
      signal,
    });
    const status = response.statusCode;
    const header = response.headers["content-type"];
    const contentType = Array.isArray(header) ? header[0] : header;
    const ok = status >= 200 && status < 300;
    const limit = ok ? this.o.payloadMaxBytes : ERROR_BODY_BYTES;
    const declared = Number(response.headers["content-length"] ?? Number.NaN);
    if (ok && declared > limit) {
      response.body.destroy();
      throw oversized(limit, `: Content-Length is ${declared}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size > limit) {
        response.body.destroy();
        if (ok) throw oversized(limit, "");
        break;
      }
    }
    return { status, contentType, body: Buffer.concat(chunks, size) };
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

function oversized(limit: number, detail: string): StatefunError {
  return new StatefunError("STATEFUN_FUNCTION_FAILED", `the response body exceeds payloadMaxBytes (${limit} bytes)${detail}`);
}
