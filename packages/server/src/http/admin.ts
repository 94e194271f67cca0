import type { DeadLetter, Logger, Runtime } from "@statefun-ts/runtime";
import { silentLogger } from "@statefun-ts/runtime";
import type { FastifyInstance } from "fastify";
import type { DynamicRegistry } from "../dynamic/registry.js";
import { type ClusterRuntime, clusterRoutes } from "./admin-cluster.js";
import { dynamicRoutes } from "./admin-dynamic.js";
import { baseApp } from "./app.js";
import { requireBearer } from "./auth.js";
import { dashboardHtml } from "./dashboard.js";
import { isoTime, jsonTypedValue } from "./decode.js";
import { HttpError } from "./errors.js";
import { covers, parkedUnder } from "./parked.js";
import { addressFromPath } from "./typed.js";

/** The part of the runtime the admin API uses. */
export type AdminRuntime = Pick<
  Runtime,
  | "ready"
  | "readState"
  | "deadLetters"
  | "replayDeadLetter"
  | "functionTypes"
  | "function"
  | "ingresses"
  | "egresses"
  | "gauges"
  | "storeStats"
  | "parkedByType"
>;

/** Where `/metrics` text comes from (a prom-client `Registry`). */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export interface AdminOptions {
  readonly logger?: Logger;
  readonly metrics?: MetricsSource;
  /** Modules and function bindings loaded at run time: enables `PUT/DELETE /v1/functions/…` and `/v1/modules`. */
  readonly dynamic?: DynamicRegistry;
  /** When set, every request but `/healthz` and `/readyz` must carry `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** What else keeps the worker from being ready (Kafka connectors not connected), one line each; `/readyz` lists them. */
  readonly readiness?: () => readonly string[];
  /** Enables `GET /v1/cluster` (the worker's name and the key groups it runs). */
  readonly cluster?: ClusterRuntime;
}

/**
 * The admin API: state of an instance, dead letters, loaded functions, health, readiness,
 * Prometheus metrics and a dashboard at `/`.
 */
export function adminApp(runtime: AdminRuntime, options: AdminOptions = {}): FastifyInstance {
  const logger = options.logger ?? silentLogger;
  const app = baseApp({ logger });
  if (options.token !== undefined) requireBearer(app, options.token, logger);
  if (options.dynamic !== undefined) dynamicRoutes(app, options.dynamic, () => runtime.parkedByType());
  if (options.cluster !== undefined) clusterRoutes(app, options.cluster);

  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    const problems = options.readiness?.() ?? [];
    const ready = runtime.ready && problems.length === 0;
    return reply
      .code(ready ? 200 : 503)
      .send(problems.length === 0 ? { status: ready ? "ready" : "not ready" } : { status: "not ready", problems });
  });

  app.get("/metrics", async (_request, reply) => {
    if (options.metrics === undefined) throw new HttpError(404, "STATEFUN_NOT_FOUND", "metrics are not enabled");
    const text = await options.metrics.metrics();
    return reply.type(options.metrics.contentType).send(text);
  });

  app.get("/v1/state/*", async (request) => {
    const address = addressFromPath(request.url, "/v1/state");
    const views = await runtime.readState(address);
    return {
      address,
      state: views.map((v) => ({ name: v.name, ...jsonTypedValue(v), expiresAt: isoTime(v.expiresAt) })),
    };
  });

  app.get("/v1/functions", async () => functionList(runtime, options.dynamic));

  app.get("/v1/deadletters", async (request) => {
    const query = request.query as Record<string, unknown>;
    const limit = intParam(query.limit, "limit", 100, 1, 1000);
    const after = query.after === undefined ? undefined : intParam(query.after, "after", 0, 0, Number.MAX_SAFE_INTEGER);
    return (await runtime.deadLetters(limit, after)).map(deadLetterJson);
  });

  app.post<{ Params: { id: string } }>("/v1/deadletters/:id/replay", async (request) => {
    const id = intParam(request.params.id, "dead letter id", 0, 0, Number.MAX_SAFE_INTEGER);
    if (!(await runtime.replayDeadLetter(id))) throw new HttpError(404, "STATEFUN_NOT_FOUND", `no dead letter with id ${id}`);
    return { id, replayed: true };
  });

  app.get("/", async (_request, reply) => {
    const store = await runtime.storeStats().catch((err: unknown) => {
      logger.warn({ err }, "dashboard: store stats unavailable");
      return undefined;
    });
    const topics = [...new Set(runtime.egresses().map((e) => e.topic))].sort();
    const html = dashboardHtml({
      ready: runtime.ready,
      gauges: runtime.gauges(),
      store,
      functions: functionList(runtime, options.dynamic),
      ingresses: runtime.ingresses().map((i) => `POST ${i.path} (${i.type.typename})`),
      topics,
    });
    return reply.type("text/html; charset=utf-8").send(html);
  });
  return app;
}

function functionList(runtime: AdminRuntime, dynamic?: DynamicRegistry) {
  const parked = runtime.parkedByType();
  const bound = runtime.functionTypes().sort();
  const listed = bound.map((typename) => {
    const fn = runtime.function(typename);
    return {
      typename,
      accepts: fn?.accepts.map((t) => t.typename) ?? [],
      states: [...(fn?.specs.values() ?? [])].map((s) => ({ name: s.name, typename: s.type.typename, expiration: s.expiration })),
      source: dynamic?.sourceOf(typename) ?? "command line",
      parked: parkedUnder(parked, typename),
    };
  });
  // Types with parked messages and no binding at all.
  for (const [typename, count] of parked) {
    if (bound.some((binding) => covers(binding, typename))) continue;
    listed.push({ typename, accepts: [], states: [], source: "not loaded", parked: count });
  }
  return listed;
}

function deadLetterJson(letter: DeadLetter) {
  const { message } = letter;
  return {
    id: letter.id,
    target: message.target,
    caller: message.caller ?? null,
    argument: jsonTypedValue(message.argument),
    error: letter.error,
    attempts: letter.attempts,
    failedAt: isoTime(letter.failedAt),
  };
}

function intParam(raw: unknown, name: string, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = typeof raw === "string" && /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new HttpError(400, "STATEFUN_BAD_REQUEST", `invalid ${name} ${JSON.stringify(raw)}: expected an integer from ${min} to ${max}`);
  }
  return value;
}
