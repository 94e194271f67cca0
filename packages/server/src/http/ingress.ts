import type { TypedValue } from "@statefun-ts/protocol";
import type { IngestReceipt, Logger } from "@statefun-ts/runtime";
import { silentLogger } from "@statefun-ts/runtime";
import type { HttpIngress } from "@statefun-ts/sdk";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Admit } from "./admission.js";
import { baseApp, bodyBytes, contentTypeOf, DEFAULT_BODY_LIMIT } from "./app.js";
import { HttpError, sendError } from "./errors.js";
import { takeAwaitedAhead } from "./ingress-awaited.js";
import { awaitMillis, awaitReply, type IngressRuntime, receiptHeaders, replyTimeout, routeOf } from "./ingress-shared.js";
import type { HttpLimits } from "./limits.js";
import { addressFromPath, requestArgument, sendTypedValue, sendTypedValueDirect } from "./typed.js";

export { type IngressRuntime, MAX_AWAIT_MS } from "./ingress-shared.js";

export interface IngressOptions {
  readonly logger?: Logger;
  /** Largest request body in bytes (default 1 MiB); larger ones are answered 413. */
  readonly bodyLimit?: number;
  /** Timeouts and connection limit (default `DEFAULT_HTTP_LIMITS`). */
  readonly limits?: HttpLimits;
  /** Checked before each message is taken (free disk space, parked-message bounds); throws the answer when it is not. */
  readonly admit?: Admit;
}

const MAX_IDEMPOTENCY_KEY = 512;

/**
 * The HTTP ingress, compatible with the StateFun playground: `PUT|POST /{namespace}/{type}/{id}`
 * sends the body as a message (answered 202 once durably committed, or 200 with the reply
 * under `?await=5s`), `GET /replies/{requestId}` fetches a reply later, and `POST {path}` of
 * a module's `httpIngress` decodes the body and routes it.
 */
export function ingressApp(runtime: IngressRuntime, options: IngressOptions = {}): FastifyInstance {
  const app = baseApp({ logger: options.logger ?? silentLogger, bodyLimit: options.bodyLimit, limits: options.limits });

  app.get<{ Params: { requestId: string } }>("/replies/:requestId", async (request, reply) => {
    const { requestId } = request.params;
    const value = await runtime.getReply(requestId);
    if (value === undefined) throw new HttpError(404, "STATEFUN_NOT_FOUND", `no reply to request ${JSON.stringify(requestId)} (yet)`);
    return sendTypedValue(reply, value);
  });

  app.route({
    method: ["PUT", "POST"],
    url: "/*",
    handler: async (request, reply) => {
      const path = request.url.split("?", 1)[0] ?? "";
      const awaitMs = awaitParam(request);
      const idempotencyKey = idempotencyKeyOf(request);
      const body = bodyBytes(request.body);
      if (request.method === "POST") {
        const route = routeOf(runtime.ingresses(), path);
        if (route !== undefined) return ingestRouted(runtime, route, body, { reply, path, awaitMs, idempotencyKey, admit: options.admit });
      }
      const target = addressFromPath(path);
      const argument = requestArgument(contentTypeOf(request.raw), body);
      options.admit?.(`${target.namespace}/${target.type}`);
      const receipt = await runtime.ingest({ target, argument, idempotencyKey, awaitReply: awaitMs !== undefined });
      // Awaited rather than returned: returning a promise from an async function costs two more microtask turns.
      return await answer(runtime, reply, receipt, awaitMs);
    },
  });
  takeAwaitedAhead(app, {
    runtime,
    logger: options.logger ?? silentLogger,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    admit: options.admit,
  });
  return app;
}

interface RouteRequest {
  readonly reply: FastifyReply;
  readonly path: string;
  readonly awaitMs: number | undefined;
  readonly idempotencyKey: string | undefined;
  readonly admit: Admit | undefined;
}

async function ingestRouted(runtime: IngressRuntime, route: HttpIngress<unknown>, body: Uint8Array, req: RouteRequest) {
  const { typename } = route.type;
  let value: unknown;
  try {
    value = route.type.deserialize(body);
  } catch (error) {
    throw new HttpError(400, "STATEFUN_BAD_MESSAGE", `body of POST ${req.path} is not a valid ${typename}: ${(error as Error).message}`);
  }
  let targets: readonly { namespace: string; type: string; id: string }[];
  try {
    targets = route.route(value);
  } catch (error) {
    throw new HttpError(400, "STATEFUN_BAD_MESSAGE", `the router of ${req.path} rejected the record: ${(error as Error).message}`);
  }
  if (req.awaitMs !== undefined && targets.length !== 1) {
    throw new HttpError(
      400,
      "STATEFUN_BAD_REQUEST",
      `?await needs exactly one target, but ${req.path} routed the record to ${targets.length}`,
    );
  }
  for (const target of targets) req.admit?.(`${target.namespace}/${target.type}`);
  const argument: TypedValue = { typename, value: route.type.serialize(value) };
  const keyOf = (i: number) =>
    req.idempotencyKey === undefined ? undefined : targets.length === 1 ? req.idempotencyKey : `${req.idempotencyKey}#${i}`;
  const receipts = await Promise.all(
    targets.map((target, i) => runtime.ingest({ target, argument, idempotencyKey: keyOf(i), awaitReply: req.awaitMs !== undefined })),
  );
  const [first] = receipts;
  if (first !== undefined && receipts.length === 1) return answer(runtime, req.reply, first, req.awaitMs);
  if (receipts.length > 0 && receipts.every((r) => r.duplicate)) req.reply.header("statefun-duplicate", "true");
  return req.reply.code(202).send({ requestIds: receipts.map((r) => r.requestId) });
}

async function answer(runtime: IngressRuntime, reply: FastifyReply, receipt: IngestReceipt, awaitMs: number | undefined) {
  const { requestId } = receipt;
  if (awaitMs === undefined) return reply.code(202).headers(receiptHeaders(receipt)).send({ requestId });
  const value = await awaitReply(runtime, receipt, awaitMs);
  if (value !== undefined) return sendTypedValueDirect(reply, value, receiptHeaders(receipt));
  return sendError(reply.headers(receiptHeaders(receipt)), replyTimeout(requestId, awaitMs), { requestId });
}

function awaitParam(request: FastifyRequest): number | undefined {
  const raw = (request.query as Record<string, unknown>).await;
  return raw === undefined ? undefined : awaitMillis(raw);
}

function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const key = request.headers["idempotency-key"];
  if (key === undefined) return undefined;
  if (typeof key !== "string" || key === "" || key.length > MAX_IDEMPOTENCY_KEY) {
    throw new HttpError(
      400,
      "STATEFUN_BAD_REQUEST",
      `invalid Idempotency-Key: give one non-empty key of at most ${MAX_IDEMPOTENCY_KEY} characters`,
    );
  }
  return key;
}
