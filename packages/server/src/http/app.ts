import type { Logger } from "@statefun-ts/runtime";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { clientErrorHandler } from "./client-errors.js";
import { guardConnections } from "./connection-guard.js";
import { errorHandler, HttpError, notFoundHandler, sendError } from "./errors.js";
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from "./limits.js";

/** Default largest request body: 1 MiB. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/**
 * Where the client's `Content-Type` and the one to answer with are kept: a symbol-keyed property
 * of Node's request and response objects (a WeakMap entry per request cost an ephemeron each,
 * which the garbage collector then has to trace).
 */
const ORIGINAL_CONTENT_TYPE = Symbol("statefun.originalContentType");
const REPLY_CONTENT_TYPE = Symbol("statefun.replyContentType");
type WithContentType = { [ORIGINAL_CONTENT_TYPE]?: string; [REPLY_CONTENT_TYPE]?: string | undefined };

/**
 * A Fastify app with the conventions shared by the ingress, egress and admin servers:
 * JSON errors `{"error", "code"}`, a JSON 404, and every body read as raw bytes.
 *
 * The `Content-Type` header is taken aside before Fastify sees it: StateFun's
 * `application/vnd.{namespace}/{name}` has a second `/`, which Fastify rejects as an invalid
 * media type. `contentTypeOf(request.raw)` gives the original; `sendWithContentType` answers
 * with such a type.
 */
export function baseApp(options: { logger: Logger; bodyLimit?: number; limits?: HttpLimits }): FastifyInstance {
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const limits = options.limits ?? DEFAULT_HTTP_LIMITS;
  const app = Fastify({
    logger: false,
    bodyLimit,
    return503OnClosing: true,
    forceCloseConnections: "idle",
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: {
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      requestTimeout: limits.requestTimeoutMs,
      // How often Node checks the two timeouts above (its default, 30 s, would let them run late).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4))),
    },
    clientErrorHandler: clientErrorHandler(limits),
    frameworkErrors: badUrl,
  });
  guardConnections(app.server, limits.maxConnections);
  app.addHook("onRequest", (request, _reply, done) => {
    const headers = request.raw.headers;
    const contentType = headers["content-type"];
    if (contentType !== undefined) {
      (request.raw as WithContentType)[ORIGINAL_CONTENT_TYPE] = contentType;
      headers["content-type"] = "application/octet-stream";
    }
    done();
  });
  app.addHook("onSend", (_request, reply, payload, done) => {
    const raw = reply.raw as WithContentType;
    const contentType = raw[REPLY_CONTENT_TYPE];
    if (contentType !== undefined) {
      raw[REPLY_CONTENT_TYPE] = undefined;
      reply.header("content-type", contentType);
    }
    done(null, payload);
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit }, (_request, body, done) => done(null, body));
  app.setErrorHandler(errorHandler(options.logger, bodyLimit));
  app.setNotFoundHandler(notFoundHandler);
  return app;
}

/** Errors of Fastify's router (a bad %-escape in the path, a too long parameter), in our shape. */
function badUrl(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const message =
    error.code === "FST_ERR_BAD_URL"
      ? `invalid %-escape in the URL ${JSON.stringify(request.raw.url ?? "")}`
      : `bad request ${JSON.stringify(request.raw.url ?? "")}: ${error.message}`;
  sendError(reply, new HttpError(400, "STATEFUN_BAD_REQUEST", message));
}

/** The `Content-Type` the client sent. */
export function contentTypeOf(raw: object): string | undefined {
  return (raw as WithContentType)[ORIGINAL_CONTENT_TYPE];
}

/** The request body as bytes (empty when there is none). */
export function bodyBytes(body: unknown): Uint8Array {
  if (body instanceof Uint8Array) return body;
  return new Uint8Array(0);
}

/** Sends a body under any `Content-Type`, including ones Fastify does not parse (`application/vnd.ns/name`). */
export function sendWithContentType(reply: FastifyReply, contentType: string, body: string | Buffer): FastifyReply {
  (reply.raw as WithContentType)[REPLY_CONTENT_TYPE] = contentType;
  return reply.type(typeof body === "string" ? "text/plain; charset=utf-8" : "application/octet-stream").send(body);
}
