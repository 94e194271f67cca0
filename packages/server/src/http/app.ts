import type { Logger } from "@statefun-ts/runtime";
import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import { errorHandler, notFoundHandler } from "./errors.js";

/** Default largest request body: 1 MiB. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

const originalContentType = new WeakMap<object, string>();
const replyContentType = new WeakMap<object, string>();

/**
 * A Fastify app with the conventions shared by the ingress, egress and admin servers:
 * JSON errors `{"error", "code"}`, a JSON 404, and every body read as raw bytes.
 *
 * The `Content-Type` header is taken aside before Fastify sees it: StateFun's
 * `application/vnd.{namespace}/{name}` has a second `/`, which Fastify rejects as an invalid
 * media type. `contentTypeOf(request.raw)` gives the original; `sendWithContentType` answers
 * with such a type.
 */
export function baseApp(options: { logger: Logger; bodyLimit?: number }): FastifyInstance {
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const app = Fastify({ logger: false, bodyLimit, return503OnClosing: true, forceCloseConnections: "idle" });
  app.addHook("onRequest", (request, _reply, done) => {
    const headers = request.raw.headers;
    const contentType = headers["content-type"];
    if (contentType !== undefined) {
      originalContentType.set(request.raw, contentType);
      headers["content-type"] = "application/octet-stream";
    }
    done();
  });
  app.addHook("onSend", (_request, reply, payload, done) => {
    const contentType = replyContentType.get(reply.raw);
    if (contentType !== undefined) {
      replyContentType.delete(reply.raw);
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

/** The `Content-Type` the client sent. */
export function contentTypeOf(raw: object): string | undefined {
  return originalContentType.get(raw);
}

/** The request body as bytes (empty when there is none). */
export function bodyBytes(body: unknown): Uint8Array {
  if (body instanceof Uint8Array) return body;
  return new Uint8Array(0);
}

/** Sends a body under any `Content-Type`, including ones Fastify does not parse (`application/vnd.ns/name`). */
export function sendWithContentType(reply: FastifyReply, contentType: string, body: string | Buffer): FastifyReply {
  replyContentType.set(reply.raw, contentType);
  return reply.type(typeof body === "string" ? "text/plain; charset=utf-8" : "application/octet-stream").send(body);
}
