import { toMillis } from "@statefun-ts/protocol";
import type { EgressRow, Logger, Runtime } from "@statefun-ts/runtime";
import { silentLogger } from "@statefun-ts/runtime";
import { PLAYGROUND_EGRESS } from "@statefun-ts/sdk";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { baseApp, sendWithContentType } from "./app.js";
import { clientGone, settleResponse } from "./egress-settle.js";
import { HttpError } from "./errors.js";
import type { HttpLimits } from "./limits.js";
import { typedPayload } from "./typed.js";

/** The part of the runtime the egress uses. */
export type EgressRuntime = Pick<Runtime, "takeEgress" | "claimEgress" | "ackEgress" | "egresses">;

export interface EgressOptions {
  readonly logger?: Logger;
  /** Timeouts and connection limit (default `DEFAULT_HTTP_LIMITS`). */
  readonly limits?: HttpLimits;
}

/** Visibility timeout of a claim without `?visibility=` (as SQS's default). */
export const DEFAULT_VISIBILITY_MS = 30_000;
/** Longest visibility timeout of a claim (as SQS's maximum). */
export const MAX_VISIBILITY_MS = 12 * 3_600_000;

/**
 * The HTTP egress. Two ways to consume a topic declared with the playground egress:
 *
 * - `POST /{topic}/claim?visibility=30s` (at least once): claims the oldest record not claimed
 *   by anyone, with `Statefun-Record-Id`, `Statefun-Receipt` and `Statefun-Visible-Until`
 *   (epoch ms). `DELETE /{topic}/{id}` or `POST /{topic}/{id}/ack` with the receipt (header
 *   `Statefun-Receipt` or `?receipt=`) deletes it (204); unacknowledged, it returns to the
 *   topic when the visibility timeout lapses (at once if the claim's response never went out).
 * - `GET /{topic}` (compatible with the StateFun playground): takes the oldest record and
 *   deletes it once the response was written out to the connection; if the connection closes,
 *   is reset or fails first, the record stays (see `settleResponse`).
 *
 * `404` when the topic has no record to hand out.
 */
export function egressApp(runtime: EgressRuntime, options: EgressOptions = {}): FastifyInstance {
  const logger = options.logger ?? silentLogger;
  const app = baseApp({ logger, limits: options.limits });

  app.get<{ Params: { topic: string } }>("/:topic", async (request, reply) => {
    const { topic } = request.params;
    checkTopic(runtime, topic);
    const delivery = await runtime.takeEgress(topic);
    if (delivery === undefined) throw noRecords(topic);
    return send(request, reply, delivery.record, {
      sent: () => delivery.ack().catch((err: unknown) => logger.error({ err, topic, recordId: delivery.record.id }, "egress ack failed")),
      lost: () => delivery.release(),
    });
  });

  app.post<{ Params: { topic: string } }>("/:topic/claim", async (request, reply) => {
    const { topic } = request.params;
    checkTopic(runtime, topic);
    const visibilityMs = visibilityOf(request);
    const claimed = await runtime.claimEgress(topic, visibilityMs);
    if (claimed === undefined) throw noRecords(topic);
    reply.header("statefun-receipt", claimed.receipt);
    reply.header("statefun-visible-until", String(claimed.visibleUntil));
    return send(request, reply, claimed.record, { sent: () => {}, lost: () => claimed.release() });
  });

  const ack = async (request: FastifyRequest<{ Params: { topic: string; id: string } }>, reply: FastifyReply) => {
    const { topic, id } = request.params;
    checkTopic(runtime, topic);
    const recordId = /^[1-9]\d{0,15}$/.test(id) ? Number(id) : undefined;
    if (recordId === undefined)
      throw new HttpError(400, "STATEFUN_BAD_REQUEST", `invalid record id ${JSON.stringify(id)}: give the Statefun-Record-Id of a claim`);
    const receipt = receiptOf(request);
    if (!(await runtime.ackEgress(topic, recordId, receipt))) {
      throw new HttpError(
        404,
        "STATEFUN_NOT_FOUND",
        `no record ${recordId} of topic ${JSON.stringify(topic)} is claimed with this receipt (acknowledged already, or its visibility timeout lapsed and it was claimed again)`,
      );
    }
    return reply.code(204).send();
  };
  app.delete<{ Params: { topic: string; id: string } }>("/:topic/:id", ack);
  app.post<{ Params: { topic: string; id: string } }>("/:topic/:id/ack", ack);
  return app;
}

/** Sends a record as the response body, then settles it: `sent` once written out, `lost` if the client never got it. */
function send(request: FastifyRequest, reply: FastifyReply, record: EgressRow, settle: { sent: () => void; lost: () => void }) {
  let payload: ReturnType<typeof typedPayload>;
  try {
    payload = typedPayload(record.argument);
  } catch (error) {
    settle.lost();
    throw error;
  }
  settleResponse(request, reply, settle.sent, settle.lost);
  if (clientGone(request, reply)) return reply;
  reply.header("statefun-record-id", String(record.id));
  return sendWithContentType(reply, payload.contentType, payload.body);
}

function checkTopic(runtime: EgressRuntime, topic: string): void {
  const topics = playgroundTopics(runtime);
  if (topics.includes(topic)) return;
  const known = topics.length === 0 ? "no topics are declared" : `declared topics: ${topics.join(", ")}`;
  throw new HttpError(404, "STATEFUN_NOT_FOUND", `unknown egress topic ${JSON.stringify(topic)} (${known})`);
}

function noRecords(topic: string): HttpError {
  return new HttpError(404, "STATEFUN_NOT_FOUND", `topic ${JSON.stringify(topic)} has no records`);
}

function visibilityOf(request: FastifyRequest): number {
  const raw = (request.query as Record<string, unknown>).visibility;
  if (raw === undefined) return DEFAULT_VISIBILITY_MS;
  const bad = (why: string) =>
    new HttpError(
      400,
      "STATEFUN_BAD_REQUEST",
      `invalid ?visibility=${JSON.stringify(raw)}: ${why}; give one duration from 1ms to 12h, such as 30s`,
    );
  if (typeof raw !== "string" || raw === "") throw bad("not a duration");
  let ms: number;
  try {
    ms = toMillis(raw, "?visibility");
  } catch {
    throw bad("not a duration");
  }
  if (ms < 1 || ms > MAX_VISIBILITY_MS) throw bad("out of range");
  return ms;
}

function receiptOf(request: FastifyRequest): string {
  const header = request.headers["statefun-receipt"];
  const query = (request.query as Record<string, unknown>).receipt;
  const receipt = typeof header === "string" ? header : typeof query === "string" ? query : undefined;
  if (receipt === undefined || receipt === "") {
    throw new HttpError(
      400,
      "STATEFUN_BAD_REQUEST",
      "acknowledging a record needs the receipt of its claim: a Statefun-Receipt header or ?receipt=",
    );
  }
  return receipt;
}

function playgroundTopics(runtime: EgressRuntime): string[] {
  const topics = new Set<string>();
  for (const egress of runtime.egresses()) if (egress.egress === PLAYGROUND_EGRESS) topics.add(egress.topic);
  return [...topics].sort();
}
