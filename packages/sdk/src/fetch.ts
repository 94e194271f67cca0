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
 * A Web-standard handler: `Request` in, `Response` out.
 *
 * @example
 * const handle: FetchHandler = fetchHandler(counter);
 * const response = await handle(new Request("http://localhost/example/counter", { method: "POST", body }));
 */
export type FetchHandler = (request: Request) => Promise<Response>;

/**
 * Serves functions over StateFun's remote protocol on any host with the Web `fetch` API
 * (Deno, Bun, Cloudflare Workers, Node's own `Request`/`Response`). `POST` a `ToFunction`
 * body to any path; the target address in it picks the function. 200 with the
 * `FromFunction` bytes, 500 with the error text when the batch fails (404 for a function type
 * not served here), 405 for other methods.
 *
 * @example
 * const handle = fetchHandler(counter, greeter);
 * Deno.serve({ port: 8000 }, handle);
 * // or: export default { fetch: fetchHandler(statefunModule({ functions: [counter] })) };
 */
export function fetchHandler(...servables: Servable[]): FetchHandler {
  return fetchHandlerWith({}, ...servables);
}

/**
 * `fetchHandler` with options (body size limit, error callback).
 *
 * @example
 * const handle = fetchHandlerWith({ maxBodyBytes: 1 << 20, onError: console.error }, counter);
 */
export function fetchHandlerWith(options: HostOptions, ...servables: Servable[]): FetchHandler {
  const core = requestHandler(...servables);
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return async (request) => {
    if (request.method !== "POST") return plain(methodNotAllowed(request.method));
    if (Number(request.headers.get("content-length") ?? "0") > limit) return plain(tooLarge(limit));
    try {
      const body = await readBody(request, limit);
      if (body === undefined) return plain(tooLarge(limit));
      const bytes = await core(body);
      return new Response(bytes, { status: 200, headers: { "content-type": PROTOCOL_CONTENT_TYPE } });
    } catch (error) {
      options.onError?.(error);
      return plain(failure(error));
    }
  };
}

/** The body, or `undefined` once it passes `limit` (read as a stream: a chunked body has no length up front). */
async function readBody(request: Request, limit: number): Promise<Uint8Array | undefined> {
  if (request.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = request.body.getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    length += next.value.byteLength;
    if (length > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(next.value);
  }
  if (chunks.length === 1) return chunks[0];
  const body = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

function plain(answer: PlainAnswer): Response {
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}
