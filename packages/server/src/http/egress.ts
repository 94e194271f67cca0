import type { Logger, Runtime } from "@statefun-ts/runtime";
import { silentLogger } from "@statefun-ts/runtime";
import { PLAYGROUND_EGRESS } from "@statefun-ts/sdk";
import type { FastifyInstance } from "fastify";
import { baseApp, sendWithContentType } from "./app.js";
import { HttpError } from "./errors.js";
import type { HttpLimits } from "./limits.js";
import { typedPayload } from "./typed.js";

/** The part of the runtime the egress uses. */
export type EgressRuntime = Pick<Runtime, "takeEgress" | "egresses">;

export interface EgressOptions {
  readonly logger?: Logger;
  /** Timeouts and connection limit (default `DEFAULT_HTTP_LIMITS`). */
  readonly limits?: HttpLimits;
}

/**
 * The HTTP egress, compatible with the StateFun playground: `GET /{topic}` takes the oldest
 * record of a topic declared with the playground egress (404 when there is none). The record
 * is deleted once the response is sent; if the connection drops first it is handed out again.
 * `Statefun-Record-Id` is its stable idempotency key (at-least-once delivery).
 */
export function egressApp(runtime: EgressRuntime, options: EgressOptions = {}): FastifyInstance {
  const logger = options.logger ?? silentLogger;
  const app = baseApp({ logger, limits: options.limits });

  app.get<{ Params: { topic: string } }>("/:topic", async (request, reply) => {
    const { topic } = request.params;
    const topics = playgroundTopics(runtime);
    if (!topics.includes(topic)) {
      const known = topics.length === 0 ? "no topics are declared" : `declared topics: ${topics.join(", ")}`;
      throw new HttpError(404, "STATEFUN_NOT_FOUND", `unknown egress topic ${JSON.stringify(topic)} (${known})`);
    }
    const delivery = await runtime.takeEgress(topic);
    if (delivery === undefined) throw new HttpError(404, "STATEFUN_NOT_FOUND", `topic ${JSON.stringify(topic)} has no records`);

    let payload: ReturnType<typeof typedPayload>;
    try {
      payload = typedPayload(delivery.record.argument);
    } catch (error) {
      delivery.release();
      throw error;
    }
    let settled = false;
    reply.raw.on("finish", () => {
      if (settled) return;
      settled = true;
      delivery.ack().catch((err: unknown) => logger.error({ err, topic, recordId: delivery.record.id }, "egress ack failed"));
    });
    reply.raw.on("close", () => {
      if (settled) return;
      settled = true;
      delivery.release();
    });
    if (reply.raw.destroyed || request.raw.socket?.destroyed === true) {
      // The client left while the record was being taken: hand it out again.
      settled = true;
      delivery.release();
      return reply;
    }
    reply.header("statefun-record-id", String(delivery.record.id));
    return sendWithContentType(reply, payload.contentType, payload.body);
  });
  return app;
}

function playgroundTopics(runtime: EgressRuntime): string[] {
  const topics = new Set<string>();
  for (const egress of runtime.egresses()) if (egress.egress === PLAYGROUND_EGRESS) topics.add(egress.topic);
  return [...topics].sort();
}
