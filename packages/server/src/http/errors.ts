import type { ServerResponse } from "node:http";
import { type ErrorCode, StatefunError } from "@statefun-ts/protocol";
import { isNoSpace, type Logger } from "@statefun-ts/runtime";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";

/** Codes of errors that only the HTTP surfaces raise, next to the engine's `ErrorCode`s. */
export type HttpErrorCode =
  | ErrorCode
  | "STATEFUN_NOT_FOUND"
  | "STATEFUN_BAD_REQUEST"
  | "STATEFUN_BODY_TOO_LARGE"
  | "STATEFUN_HEADERS_TOO_LARGE"
  | "STATEFUN_REQUEST_TIMEOUT"
  | "STATEFUN_PARK_LIMIT"
  | "STATEFUN_DISK_FULL"
  | "STATEFUN_INTERNAL"
  | "STATEFUN_CONFLICT"
  | "STATEFUN_UNAUTHORIZED"
  | "STATEFUN_FORBIDDEN";

/** The JSON body of every error answer. */
export interface ErrorBody {
  readonly error: string;
  readonly code: HttpErrorCode;
  readonly [extra: string]: unknown;
}

/** An error with the HTTP status it answers with. Thrown by handlers, rendered by `errorHandler`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: HttpErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}

const statusOfCode: Partial<Record<ErrorCode, number>> = {
  STATEFUN_BAD_MESSAGE: 400,
  STATEFUN_BAD_ADDRESS: 400,
  STATEFUN_BAD_TYPENAME: 400,
  STATEFUN_BAD_CONFIG: 400,
  STATEFUN_BAD_MODULE: 400,
  STATEFUN_UNKNOWN_TYPE: 404,
  STATEFUN_IDEMPOTENCY_CONFLICT: 422,
  STATEFUN_CONFLICT: 409,
  STATEFUN_OVERLOADED: 503,
  STATEFUN_CLOSED: 503,
  STATEFUN_TIMEOUT: 504,
  STATEFUN_DISK_FULL: 507,
};

/** Seconds a client is told to wait before retrying, by code. */
const retryAfterOfCode: Partial<Record<ErrorCode, string>> = { STATEFUN_OVERLOADED: "1", STATEFUN_DISK_FULL: "10" };

/** Maps any error to the answer the client sees. */
export function toHttpError(error: unknown, bodyLimit?: number): HttpError {
  if (error instanceof HttpError) return error;
  if (StatefunError.is(error)) {
    const status = statusOfCode[error.code] ?? 500;
    const retryAfter = retryAfterOfCode[error.code];
    return new HttpError(status, error.code, error.message, retryAfter === undefined ? {} : { "retry-after": retryAfter });
  }
  // A store write that found the disk full (an admin change, an egress claim): nothing was stored.
  if (isNoSpace(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return new HttpError(507, "STATEFUN_DISK_FULL", `the store's disk is full, nothing was stored: ${message}`, { "retry-after": "10" });
  }
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    const limit = bodyLimit === undefined ? "" : ` of ${bodyLimit} bytes`;
    return new HttpError(413, "STATEFUN_BODY_TOO_LARGE", `the request body is larger than the limit${limit}`);
  }
  const status = fastifyError.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) {
    return new HttpError(status, "STATEFUN_BAD_REQUEST", fastifyError.message ?? "bad request");
  }
  return new HttpError(500, "STATEFUN_INTERNAL", error instanceof Error ? error.message : String(error));
}

export function sendError(reply: FastifyReply, error: HttpError, extra: Record<string, unknown> = {}): FastifyReply {
  const body: ErrorBody = { error: error.message, code: error.code, ...extra };
  return reply.code(error.status).headers(error.headers).send(body);
}

/**
 * `sendError` straight on the Node response, for requests taken ahead of Fastify: the same
 * status, headers (`headers` first, as set on the reply before) and body as Fastify writes.
 */
export function writeError(res: ServerResponse, error: HttpError, extra: Record<string, unknown>, headers: Record<string, string>): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body: ErrorBody = { error: error.message, code: error.code, ...extra };
  const text = JSON.stringify(body);
  for (const [name, value] of Object.entries(error.headers)) headers[name.toLowerCase()] = value;
  headers["content-type"] = "application/json; charset=utf-8";
  headers["content-length"] = String(Buffer.byteLength(text));
  res.writeHead(error.status, headers);
  res.end(text);
}

/** Failures of the server's own (5xx other than overload, shutdown and a full disk) are logged. */
export function logFailure(
  logger: Logger,
  httpError: HttpError,
  error: unknown,
  method: string | undefined,
  url: string | undefined,
): void {
  if (httpError.status >= 500 && httpError.status !== 503 && httpError.status !== 507) {
    logger.error({ err: error, method, url }, "request failed");
  }
}

/** A Fastify error handler answering `{"error", "code"}`; 5xx other than overload and shutdown are logged. */
export function errorHandler(logger: Logger, bodyLimit?: number) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const httpError = toHttpError(error, bodyLimit);
    logFailure(logger, httpError, error, request.method, request.url);
    if (httpError.status === 413 && !request.raw.complete) return afterDraining(request, () => sendError(reply, httpError));
    return sendError(reply, httpError);
  };
}

/** The most of an oversized body read (and dropped) so that its client can read the 413. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

/**
 * Reads and drops the rest of a request body before answering: a client that sends its whole
 * body before reading (fetch does) would otherwise see a broken pipe instead of the 413. Past
 * MAX_DRAIN_BYTES the connection is closed.
 */
function afterDraining(request: FastifyRequest, send: () => FastifyReply): Promise<FastifyReply> {
  const raw = request.raw;
  let drained = 0;
  return new Promise((resolve) => {
    raw.on("data", (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > MAX_DRAIN_BYTES) raw.destroy();
    });
    raw.once("end", () => resolve(send()));
    raw.once("close", () => resolve(send()));
    raw.resume();
  });
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendError(reply, new HttpError(404, "STATEFUN_NOT_FOUND", `no route for ${request.method} ${request.url}`));
}
