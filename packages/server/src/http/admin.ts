import type { KafkaEgressStatus, KafkaIngressStatus } from "@statefun-ts/kafka";
import type { DeadLetter, Logger, Runtime } from "@statefun-ts/runtime";
import { silentLogger } from "@statefun-ts/runtime";
import type { ConsoleReads } from "@statefun-ts/runtime/spi";
import type { FastifyInstance } from "fastify";
import type { LiveModules } from "../dynamic/live-modules.js";
import { type BackupStore, backupRoutes } from "./admin-backup.js";
import { type ClusterRuntime, clusterRoutes } from "./admin-cluster.js";
import { dynamicRoutes } from "./admin-dynamic.js";
import { instanceRoutes, stateEditRoutes } from "./admin-state.js";
import { type StatsSource, statsRoutes } from "./admin-stats.js";
import { baseApp } from "./app.js";
import { consoleRoutes } from "./console.js";
import { isoTime, jsonTypedValue } from "./decode.js";
import { HttpError } from "./errors.js";
import { ADMIN_MAX_CONNECTIONS, DEFAULT_HTTP_LIMITS, type HttpLimits } from "./limits.js";
import { covers, parkedUnder } from "./parked.js";
import { openSession, refuseCrossSite, requireAuth } from "./session.js";
import { addressFromPath } from "./typed.js";

/** The part of the runtime the admin API uses. */
export type AdminRuntime = Pick<
  Runtime,
  | "ready"
  | "readState"
  | "deadLetters"
  | "replayDeadLetter"
  | "discardDeadLetters"
  | "functionTypes"
  | "function"
  | "ingresses"
  | "egresses"
  | "gauges"
  | "storeStats"
  | "parkedByType"
> &
  Partial<Pick<Runtime, "editState">>;

/** Where `/metrics` text comes from (a prom-client `Registry`). */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export interface AdminOptions {
  readonly logger?: Logger;
  readonly metrics?: MetricsSource;
  /** Modules and function bindings loaded at run time: enables `PUT/DELETE /v1/functions/…` and `/v1/modules`. */
  readonly dynamic?: LiveModules;
  /** When set, every request but `/healthz` and `/readyz` must carry `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** What else keeps the worker from being ready (Kafka connectors not connected), one line each; `/readyz` lists them. */
  readonly readiness?: () => readonly string[];
  /** Enables `GET /v1/cluster` (the worker's name and the key groups it runs). */
  readonly cluster?: ClusterRuntime;
  /** Timeouts (default `DEFAULT_HTTP_LIMITS`); the admin server's connection limit is its own, `ADMIN_MAX_CONNECTIONS`. */
  readonly limits?: HttpLimits;
  /** Enables `GET /v1/stats` (the metrics history) and `GET /v1/info`. */
  readonly stats?: StatsSource;
  /** Enables `GET /v1/instances/{ns}/{type}` (the store's listing of instances). */
  readonly reads?: Pick<ConsoleReads, "listInstances">;
  /** The ports the worker bound (shown by `GET /v1/io`). */
  readonly ports?: () => { readonly ingress?: number | undefined; readonly egress?: number | undefined };
  /** The Kafka ingresses and egresses running, with their state (shown by `GET /v1/io`). */
  readonly kafka?: () => { readonly ingresses: readonly KafkaIngressStatus[]; readonly egresses: readonly KafkaEgressStatus[] };
  /** Where the console's built assets are (default: the package's `console-dist`). */
  readonly consoleDir?: string;
  /** Enables `POST /v1/backup` (an online copy of the embedded store). */
  readonly backup?: BackupStore;
}

/**
 * The admin API: state of an instance, dead letters, loaded functions, health, readiness,
 * Prometheus metrics, the metrics history (`/v1/stats`) and the operator console at `/`.
 */
export function adminApp(runtime: AdminRuntime, options: AdminOptions = {}): FastifyInstance {
  const logger = options.logger ?? silentLogger;
  const app = baseApp({ logger, limits: { ...(options.limits ?? DEFAULT_HTTP_LIMITS), maxConnections: ADMIN_MAX_CONNECTIONS } });
  refuseCrossSite(app, logger);
  if (options.token !== undefined) requireAuth(app, options.token, logger);
  else openSession(app);
  if (options.dynamic !== undefined) {
    const { dynamic } = options;
    dynamicRoutes(
      app,
      dynamic,
      () => runtime.parkedByType(),
      (typename) => describeFunction(runtime, dynamic, typename),
    );
  }
  if (options.cluster !== undefined) clusterRoutes(app, options.cluster);
  if (options.backup !== undefined) backupRoutes(app, options.backup);

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

  app.get("/v1/io", async () => ({
    ingresses: [
      // The worker's own HTTP ingress: any function, the message type from Content-Type.
      {
        kind: "http",
        route: "PUT|POST /{namespace}/{type}/{id}",
        messageType: "application/vnd.{typename}, else a string",
        port: options.ports?.().ingress ?? null,
      },
      ...runtime
        .ingresses()
        .map((i) => ({ kind: i.kind, route: `POST ${i.path}`, messageType: i.type.typename, port: options.ports?.().ingress ?? null })),
    ],
    egresses: runtime
      .egresses()
      .map((e) => ({ egress: e.egress, topic: e.topic, messageType: e.type.typename, port: options.ports?.().egress ?? null })),
    ...(options.kafka ? { kafka: kafkaIo(options.kafka()) } : {}),
  }));

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

  app.delete<{ Params: { id: string } }>("/v1/deadletters/:id", async (request) => {
    const id = intParam(request.params.id, "dead letter id", 0, 0, Number.MAX_SAFE_INTEGER);
    if ((await runtime.discardDeadLetters([id])) === 0) throw new HttpError(404, "STATEFUN_NOT_FOUND", `no dead letter with id ${id}`);
    return { id, deleted: true };
  });

  app.delete("/v1/deadletters", async (request) => {
    const type = (request.query as Record<string, unknown>).type;
    if (typeof type !== "string" || !/^[^/]+\/[^/]+$/.test(type)) {
      throw new HttpError(
        400,
        "STATEFUN_BAD_REQUEST",
        `give the target function type of the dead letters to delete: DELETE /v1/deadletters?type=namespace/name (got ${JSON.stringify(type ?? null)})`,
      );
    }
    return { type, deleted: await discardByType(runtime, type) };
  });

  if (options.stats !== undefined) statsRoutes(app, options.stats);
  if (runtime.editState !== undefined) stateEditRoutes(app, { editState: runtime.editState.bind(runtime) });
  if (options.reads !== undefined) instanceRoutes(app, options.reads);
  consoleRoutes(app, options.consoleDir);
  return app;
}

/** One bound function type as GET /v1/functions lists it; a type a namespace binding covers names that binding (`boundBy`). */
function describeFunction(runtime: AdminRuntime, dynamic: LiveModules, typename: string): object | undefined {
  const listed = functionList(runtime, dynamic).filter((f) => f.source !== "not loaded");
  const exact = listed.find((f) => f.typename === typename);
  if (exact !== undefined) return exact;
  const covering = listed.find((f) => covers(f.typename, typename));
  return covering === undefined
    ? undefined
    : { ...covering, typename, boundBy: covering.typename, parked: parkedUnder(runtime.parkedByType(), typename) };
}

function functionList(runtime: AdminRuntime, dynamic?: LiveModules) {
  const parked = runtime.parkedByType();
  const bound = [...runtime.functionTypes()].sort();
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

/** Deletes every dead letter whose target is of `type`, a page of ids at a time. */
async function discardByType(runtime: AdminRuntime, type: string): Promise<number> {
  let deleted = 0;
  let after = 0;
  for (;;) {
    const page = await runtime.deadLetters(1000, after);
    if (page.length === 0) return deleted;
    after = page[page.length - 1]?.id ?? after;
    const ids = page.filter((l) => `${l.message.target.namespace}/${l.message.target.type}` === type).map((l) => l.id);
    if (ids.length > 0) deleted += await runtime.discardDeadLetters(ids);
  }
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

/** The Kafka part of `GET /v1/io`: `problem` null when ready. */
function kafkaIo(status: { readonly ingresses: readonly KafkaIngressStatus[]; readonly egresses: readonly KafkaEgressStatus[] }) {
  return {
    ingresses: status.ingresses.map((i) => ({ ...i, problem: i.problem ?? null })),
    egresses: status.egresses.map((e) => ({ ...e, problem: e.problem ?? null })),
  };
}
