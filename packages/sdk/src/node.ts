import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Servable } from "./serve/functions.js";
import { requestHandler } from "./serve/handler.js";
import {
  DEFAULT_MAX_BODY_BYTES,
  failure,
  type HostOptions,
  methodNotAllowed,
  type PlainAnswer,
  PROTOCOL_CONTENT_TYPE,
  tooLarge,
} from "./serve/http.js";

export type { Servable } from "./serve/functions.js";
export type { RequestHandler } from "./serve/handler.js";
export { requestHandler } from "./serve/handler.js";
export type { HostOptions } from "./serve/http.js";
export { DEFAULT_MAX_BODY_BYTES } from "./serve/http.js";

/**
 * A `node:http` request listener.
 *
 * @example
 * const listener: NodeHandler = nodeHandler(counter);
 * createServer(listener).listen(8000);
 */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Serves functions over StateFun's remote protocol as a `node:http` request listener.
 * `POST` a `ToFunction` body to any path (the target address in it picks the function):
 * 200 with the `FromFunction` bytes, 500 with the error text when the batch fails (404 for a
 * function type not served here), 405 for other methods, 413 past the body size limit.
 *
 * @example
 * import { createServer } from "node:http";
 * createServer(nodeHandler(counter, greeter)).listen(8000, "127.0.0.1");
 */
export function nodeHandler(...servables: Servable[]): NodeHandler {
  return nodeHandlerWith({}, ...servables);
}

/**
 * `nodeHandler` with options (body size limit, error callback).
 *
 * @example
 * createServer(nodeHandlerWith({ onError: (e) => console.error(e) }, counter)).listen(8000);
 */
export function nodeHandlerWith(options: HostOptions, ...servables: Servable[]): NodeHandler {
  const core = requestHandler(...servables);
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return (req, res) => {
    if (req.method !== "POST") {
      req.resume();
      return answer(res, methodNotAllowed(req.method));
    }
    if (Number(req.headers["content-length"] ?? "0") > limit) return refuse(req, res, limit);
    const chunks: Buffer[] = [];
    let length = 0;
    let refused = false;
    req.on("data", (chunk: Buffer) => {
      if (refused) return;
      length += chunk.byteLength;
      if (length > limit) {
        refused = true;
        refuse(req, res, limit);
      } else chunks.push(chunk);
    });
    req.on("error", () => res.destroy());
    req.on("end", () => {
      if (refused) return;
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
      core(new Uint8Array(body.buffer, body.byteOffset, body.byteLength)).then(
        (bytes) => {
          res.writeHead(200, { "content-type": PROTOCOL_CONTENT_TYPE, "content-length": bytes.byteLength });
          res.end(bytes);
        },
        (error: unknown) => {
          options.onError?.(error);
          answer(res, failure(error));
        },
      );
    });
  };
}

/**
 * A running remote-function server.
 *
 * @example
 * const server: RunningServer = await serve([counter], { port: 0 });
 * await fetch(`${server.url}example/counter`, { method: "POST", body: toFunctionBytes });
 * await server.close();
 */
export interface RunningServer {
  /** The port it listens on (the one chosen by the system when asked for port 0). */
  readonly port: number;
  /** Its base URL, e.g. `http://127.0.0.1:8000/`; append `{function.name}` or anything else. */
  readonly url: string;
  /** Stops accepting connections and resolves once the open ones are done. */
  close(): Promise<void>;
}

/**
 * Starts an HTTP server for functions: the quickest way to run them as remote functions
 * for our runtime (`{"kind":"remote","url":"http://127.0.0.1:8000/{function.name}"}`) or
 * for Apache Flink StateFun (`io.statefun.endpoints.v2/http`).
 *
 * @example
 * const server = await serve(statefunModule({ functions: [counter] }), { port: 8000 });
 * console.log(`functions at ${server.url}`);
 * await server.close();
 */
export async function serve(
  functions: Servable,
  options: HostOptions & { readonly port: number; readonly host?: string },
): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  const server = createServer(nodeHandlerWith(options, functions));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    port,
    url: `http://${urlHost}:${port}/`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

function answer(res: ServerResponse, plain: PlainAnswer): void {
  res.writeHead(plain.status, plain.headers);
  res.end(plain.body);
}

/** Answers 413 and drops the connection once the answer is out, without reading the rest of the body. */
function refuse(req: IncomingMessage, res: ServerResponse, limit: number): void {
  answer(res, tooLarge(limit));
  res.once("finish", () => req.destroy());
}
