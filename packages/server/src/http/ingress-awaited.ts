import type { IncomingMessage, ServerResponse } from "node:http";
import { type Address, checkAddress } from "@statefun-ts/protocol";
import type { IngestReceipt, Logger } from "@statefun-ts/runtime";
import { errorCodes, type FastifyInstance } from "fastify";
import type { Admit } from "./admission.js";
import { logFailure, toHttpError, writeError } from "./errors.js";
import { awaitMillis, awaitReply, type IngressRuntime, receiptHeaders, replyTimeout, routeOf } from "./ingress-shared.js";
import { typenameFromContentType, writeTypedValue } from "./typed.js";

export interface AwaitedOptions {
  readonly runtime: IngressRuntime;
  readonly logger: Logger;
  readonly bodyLimit: number;
  readonly admit: Admit | undefined;
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Takes the plain awaited ingress request (`PUT|POST /{namespace}/{type}/{id}?await=…` with a
 * `Content-Type: application/vnd.{typename}` body of a known length, no idempotency key) on
 * Node's `request` event, ahead of Fastify: its routing, hooks, request and reply objects and
 * body parser were about 8 % of the worker's main thread under request-reply load, before the
 * garbage they leave. Such a request is
 * checked whole before its body is read; any that fails a check (one Fastify or the route would
 * refuse, a module's ingress path, %-escapes, a chunked body, a closing server) and every other
 * request go to Fastify as before. The answers are the route's, header for header
 * (`ingress-awaited.test.ts` compares them).
 */
export function takeAwaitedAhead(app: FastifyInstance, options: AwaitedOptions): void {
  const server = app.server;
  const listeners = server.listeners("request") as RequestListener[];
  const [fastify] = listeners;
  if (fastify === undefined || listeners.length !== 1) throw new Error("the ingress server has no single Fastify request listener");
  let closing = false;
  app.addHook("preClose", (done) => {
    closing = true;
    done();
  });
  server.removeListener("request", fastify);
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    if (closing || !take(req, res, options)) fastify(req, res);
  });
}

/** False, having read and answered nothing, when the request is not one to take here. */
function take(req: IncomingMessage, res: ServerResponse, options: AwaitedOptions): boolean {
  const method = req.method;
  if (method !== "POST" && method !== "PUT") return false;
  const url = req.url ?? "";
  const q = url.indexOf("?");
  if (q < 0 || !url.startsWith("?await=", q)) return false;
  const path = url.slice(0, q);
  const rawAwait = url.slice(q + "?await=".length);
  const slashes = plainPath(path);
  if (slashes === 0 || !plain(rawAwait)) return false;
  const headers = req.headers;
  const length = headers["content-length"];
  if (length === undefined || headers["transfer-encoding"] !== undefined || headers["idempotency-key"] !== undefined) return false;
  const contentLength = Number(length);
  if (!(contentLength <= options.bodyLimit)) return false;
  let awaitMs: number;
  let typename: string | undefined;
  let target: Address;
  try {
    awaitMs = awaitMillis(rawAwait);
    typename = typenameFromContentType(headers["content-type"]);
    // `addressFromPath` of a path without %-escapes.
    const type = slashes & 0xffff;
    const id = slashes >>> 16;
    target = checkAddress({ namespace: path.slice(1, type), type: path.slice(type + 1, id), id: path.slice(id + 1) }, "path");
    if (typename === undefined || (method === "POST" && routeOf(options.runtime.ingresses(), path) !== undefined)) return false;
  } catch {
    return false;
  }

  const chunks: Buffer[] = [];
  let received = 0;
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    chunks.push(chunk);
  };
  // The listeners stay on the request, which is done with once its body ended (taking three
  // off cost more than the rest of reading the body): what comes after that is not heard.
  let ended = false;
  const onEnd = (error?: Error & { statusCode?: number }) => {
    if (ended) return;
    ended = true;
    if (error != null) {
      // As Fastify's body parser: a 400 (unless the error says otherwise), and the connection closed.
      if (!(typeof error.statusCode === "number" && error.statusCode >= 400)) error.statusCode = 400;
      return fail(req, res, options, error, { connection: "close" });
    }
    if (received !== contentLength) {
      return fail(req, res, options, new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH(), { connection: "close" });
    }
    const argument = { typename, value: Buffer.concat(chunks, received) };
    const runtime = options.runtime;
    let receipt: Promise<IngestReceipt>;
    try {
      options.admit?.(`${target.namespace}/${target.type}`);
      receipt = runtime.ingest({ target, argument, idempotencyKey: undefined, awaitReply: true });
    } catch (error) {
      return fail(req, res, options, error);
    }
    receipt.then(
      (r) => answer(req, res, options, r, awaitMs),
      (error: unknown) => fail(req, res, options, error),
    );
  };
  req.on("data", onData);
  req.on("end", onEnd);
  req.on("error", onEnd);
  return true;
}

/** True when `text` is not empty and Fastify's query parser takes it as it is (see `plainPath`). */
function plain(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) if (!plainChar(text.charCodeAt(i))) return false;
  return true;
}

/**
 * For a path of `/` and three non-empty segments of characters that Fastify's router takes as
 * they are: the index of its second `/` and, shifted 16 bits up, of its third. Otherwise 0.
 */
function plainPath(path: string): number {
  if (path.length > 0xffff || path.charCodeAt(0) !== SLASH) return 0;
  let second = 0;
  let third = 0;
  let previous = SLASH;
  for (let i = 1; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === SLASH) {
      if (previous === SLASH || third !== 0) return 0;
      if (second === 0) second = i;
      else third = i;
    } else if (!plainChar(c)) return 0;
    previous = c;
  }
  return third === 0 || previous === SLASH ? 0 : second | (third << 16);
}

/** Printable ASCII but `%` (an escape), `+` (a space in a query), `&`, `;` and `#`. */
function plainChar(c: number): boolean {
  return c > 0x20 && c < 0x7f && c !== 0x25 && c !== 0x2b && c !== 0x26 && c !== 0x3b && c !== 0x23;
}

const SLASH = 0x2f;

/** As the route's `answer` for an awaited request: the reply, or 504 with the request id (a failure as the error handler). */
function answer(req: IncomingMessage, res: ServerResponse, options: AwaitedOptions, receipt: IngestReceipt, awaitMs: number): void {
  awaitReply(options.runtime, receipt, awaitMs).then(
    (value) => {
      try {
        const headers = receiptHeaders(receipt);
        if (value !== undefined) writeTypedValue(res, value, headers);
        else writeError(res, replyTimeout(receipt.requestId, awaitMs), { requestId: receipt.requestId }, headers);
      } catch (error) {
        fail(req, res, options, error);
      }
    },
    (error: unknown) => fail(req, res, options, error),
  );
}

/** As the ingress's Fastify error handler. */
function fail(
  req: IncomingMessage,
  res: ServerResponse,
  options: AwaitedOptions,
  error: unknown,
  headers: Record<string, string> = {},
): void {
  const httpError = toHttpError(error, options.bodyLimit);
  logFailure(options.logger, httpError, error, req.method, req.url);
  writeError(res, httpError, {}, headers);
}
