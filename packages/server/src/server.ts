import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { type Limits, type Logger, Runtime, type RuntimeOptions, type Store } from "@statefun-ts/runtime";
import type { StatefunModule } from "@statefun-ts/sdk";
import type { FastifyInstance } from "fastify";
import { LiveModules } from "./dynamic/live-modules.js";
import { embeddedStore } from "./embedded-store.js";
import { adminApp } from "./http/admin.js";
import { DEFAULT_PARK_LIMITS, ingressAdmission, type ParkLimits } from "./http/admission.js";
import { ADMIN_TOKEN_ENV, adminToken } from "./http/auth.js";
import { egressApp } from "./http/egress.js";
import { FreeSpaceWatch } from "./http/free-space.js";
import { ingressApp } from "./http/ingress.js";
import { type HttpLimits, httpLimits } from "./http/limits.js";
import { KafkaConnectors, kafkaSpecsOf, kafkaSpecsOfModules, mergeKafkaSpecs } from "./kafka/connectors.js";
import { createLogger } from "./logger.js";
import { PrometheusMetrics } from "./metrics.js";
import { installYamlPlan, planYamlModules } from "./modules/install.js";
import { loadModule, loadModuleFile } from "./modules/load.js";
import { isYamlModule, type YamlModule } from "./modules/yaml/types.js";
import { backupOf } from "./moving/online.js";
import { StartWhenSpace } from "./start-when-space.js";
import { StatsHistory } from "./stats/history.js";

/** The ports a worker opens. */
export interface ServerPorts {
  readonly admin: number;
  readonly ingress: number;
  readonly egress: number;
}

export const DEFAULT_PORTS: ServerPorts = { admin: 8081, ingress: 8090, egress: 8091 };
export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_DATA_DIR = ".statefun";
/** Below this much free space on the data directory's disk, the ingress refuses new messages (64 MiB). */
export const DEFAULT_MIN_FREE_BYTES = 64 * 1024 * 1024;
/** Module catalog poll of a cluster worker: a change made on one worker reaches the others within a second. */
const CLUSTER_CATALOG_POLL_MS = 250;

export interface ServerOptions {
  /**
   * Module files (`.ts`, `.mts`, `.js`, `.mjs`, or StateFun `module.yaml`, resolved from the
   * working directory) or modules (code modules, or YAML modules from `parseModuleYaml`).
   */
  readonly modules?: readonly (string | StatefunModule | YamlModule)[];
  /** Data directory of the embedded SQLite store (default `./.statefun`); unused when `store` is given. */
  readonly dataDir?: string;
  readonly store?: Store;
  /** Interface to bind (default 127.0.0.1). */
  readonly host?: string;
  /**
   * Interface of the admin API (default: `host`). On a non-loopback address the admin API
   * requires a bearer token (`adminToken`, default env `STATEFUN_ADMIN_TOKEN`), and the worker
   * refuses to start without one.
   */
  readonly adminHost?: string;
  /** Bearer token of the admin API (default: env `STATEFUN_ADMIN_TOKEN`); when set it is always required. */
  readonly adminToken?: string;
  /** How long messages to a function type with no binding are kept before they are dead-lettered (default 24 h). */
  readonly parkTimeoutMs?: number;
  /**
   * How often the module catalog in the store is checked for changes made by other workers
   * (default 2 s; 250 ms in cluster mode, so a change reaches every worker within a second).
   */
  readonly catalogPollMs?: number;
  /** This worker's name in leases and cluster membership (default: random per process). */
  readonly owner?: string;
  /** Cluster mode settings (heartbeat and lease durations); on by default for a shared store (PostgreSQL). */
  readonly cluster?: RuntimeOptions["cluster"];
  /** Where relative paths of modules loaded through the admin API resolve (default: the working directory). */
  readonly baseDir?: string;
  /**
   * Directories (resolved from the working directory) that embedded module files loaded
   * through the admin API must lie in; loading one runs its code. Default: anywhere.
   */
  readonly modulesDirs?: readonly string[];
  /** How long importing a module file loaded through the admin API may take (default 20 s; then 504). */
  readonly importTimeoutMs?: number;
  /** How long an admin change may wait for the change before it (default 30 s; then 503). */
  readonly adminQueueTimeoutMs?: number;
  /** Ports (defaults: those of the playground ingress/egress of YAML modules, else 8081, 8090, 8091); 0 picks a free port. */
  readonly ports?: Partial<ServerPorts>;
  /** Added to every non-zero port, so several workers can share a machine. */
  readonly portOffset?: number;
  /** Bounds of messages parked for types with no binding (default 10,000 per type, 100,000 in all); past them the ingress answers 429. */
  readonly parkLimits?: Partial<ParkLimits>;
  /**
   * Free-space watermark of the embedded store's disk (default 64 MiB, read every second): below
   * it the ingress answers 507 while reads and the admin API go on; it resumes by itself.
   */
  readonly disk?: { readonly minFreeBytes?: number; readonly everyMs?: number };
  /** Timeouts, connection limit and shutdown drain time of the HTTP servers (see `HttpLimits`). */
  readonly http?: Partial<HttpLimits>;
  /** Largest ingress request body in bytes (default 1 MiB). */
  readonly bodyLimit?: number;
  readonly logger?: Logger;
  readonly limits?: Partial<Limits>;
  /** Called when the runtime cannot go on (a failed commit, lost leases); the process should exit and restart. Default: log it. */
  readonly onFatal?: (error: unknown) => void;
}

export interface RunningServer {
  readonly runtime: Runtime;
  /** The ports actually bound. */
  readonly ports: ServerPorts;
  readonly metrics: PrometheusMetrics;
  /** Stops the HTTP servers, then the runtime (which commits and closes the store), then the remote endpoints' connections. */
  close(): Promise<void>;
}

/**
 * Starts a worker: the store, the runtime with the given modules, and the admin, ingress
 * and egress HTTP servers.
 *
 * @example
 * const server = await startServer({ modules: ["examples/greeter/module.ts"], portOffset: 100 });
 * console.log(server.ports.ingress); // 8190
 * await server.close();
 */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger();
  const host = options.host ?? DEFAULT_HOST;
  const adminHost = options.adminHost ?? host;
  const token = adminToken(adminHost, options.adminToken ?? process.env[ADMIN_TOKEN_ENV]);
  const modules: StatefunModule[] = [];
  const yamlModules: YamlModule[] = [];
  for (const m of options.modules ?? []) {
    const module = typeof m === "string" ? await loadModule(m) : m;
    if (!isYamlModule(module)) {
      modules.push(module);
      continue;
    }
    yamlModules.push(module);
    for (const embedded of module.embedded ?? []) modules.push(await loadModuleFile(embedded.path));
  }
  const yaml = planYamlModules(yamlModules);
  const offset = options.portOffset ?? 0;
  const offsetPort = (base: number) => (base === 0 ? 0 : base + offset);
  /** A port as declared: the options', else a YAML module's (ingress, egress), else the default. */
  const declaredPort = (name: keyof ServerPorts) =>
    options.ports?.[name] ?? (name === "admin" ? undefined : yaml.ports[name]) ?? DEFAULT_PORTS[name];
  const port = (name: keyof ServerPorts) => offsetPort(declaredPort(name));

  const limits = httpLimits(options.http);
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const store = options.store ?? embeddedStore(dataDir);
  const freeSpace =
    options.store === undefined
      ? new FreeSpaceWatch({
          dir: dataDir,
          logger,
          minFreeBytes: options.disk?.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES,
          everyMs: options.disk?.everyMs,
        })
      : undefined;
  const metrics = new PrometheusMetrics(logger);
  const onFatal = options.onFatal ?? ((err: unknown) => logger.error({ err }, "the runtime failed; restart the worker to recover"));
  const runtime = new Runtime({
    store,
    modules,
    logger,
    metrics,
    limits: options.limits,
    onFatal,
    parkTimeoutMs: options.parkTimeoutMs,
    owner: options.owner,
    cluster: options.cluster,
  });
  const remotes = installYamlPlan(runtime, yaml, { logger, metrics });
  metrics.bind(runtime);
  const admit = ingressAdmission(runtime, { parkLimits: { ...DEFAULT_PARK_LIMITS, ...options.parkLimits }, freeSpace });
  const history = new StatsHistory(metrics.recorder, runtimeStats(runtime));
  metrics.bindStoreStats(
    () => history.storeStats(),
    () => history.egressDepth(),
  );
  const startedAt = Date.now();
  const stats = Object.assign(history, {
    info: () => ({ worker: runtime.workerName, store: storeKind(store), clustered: runtime.clustered, ready: runtime.ready, startedAt }),
  });
  const extraIngresses: FastifyInstance[] = [];
  const kafka = new KafkaConnectors({ runtime, store, logger });
  let staticKafka: { close(): Promise<void> } | undefined;
  const dynamic = new LiveModules({
    kafka,
    runtime,
    store,
    logger,
    metrics,
    baseDir: resolve(options.baseDir ?? "."),
    ingressPort: declaredPort("ingress"),
    egressPort: declaredPort("egress"),
    importTimeoutMs: options.importTimeoutMs,
    queueTimeoutMs: options.adminQueueTimeoutMs,
    modulesDirs: options.modulesDirs?.map((dir) => resolve(dir)),
    async openIngress(declared) {
      const app = ingressApp(runtime, { logger, bodyLimit: options.bodyLimit, limits, admit });
      await app.listen({ host, port: offsetPort(declared) });
      extraIngresses.push(app);
      logger.info({ port: (app.server.address() as AddressInfo).port }, "module ingress started");
      return {
        async close() {
          extraIngresses.splice(extraIngresses.indexOf(app), 1);
          await app.close();
        },
      };
    },
  });

  const apps: { name: keyof ServerPorts; app: FastifyInstance }[] = [];
  const closeApps = () => Promise.all(apps.map(({ app }) => drainAndClose(app, limits.shutdownDrainMs)));
  const bound: Partial<Record<keyof ServerPorts, number>> = {};
  const listen = async (name: keyof ServerPorts, app: FastifyInstance) => {
    apps.push({ name, app });
    const on = name === "admin" ? adminHost : host;
    try {
      await app.listen({ host: on, port: port(name) });
    } catch (cause) {
      throw new Error(`${name} server: cannot listen on ${on}:${port(name)}: ${(cause as Error).message}`, { cause });
    }
    bound[name] = (app.server.address() as AddressInfo).port;
  };

  let runtimeStarting = false;
  const startWhenSpace = new StartWhenSpace(logger);
  try {
    await listen(
      "admin",
      adminApp(runtime, {
        logger,
        metrics: metrics.registry,
        dynamic,
        token,
        cluster: runtime,
        limits,
        stats,
        reads: store,
        ports: () => bound,
        backup: backupOf(store),
        readiness: () => [...startWhenSpace.problems(), ...kafka.problems()],
        kafka: () => kafka.status(),
      }),
    );
    const kafkaSpecs = mergeKafkaSpecs(kafkaSpecsOf(yamlModules), kafkaSpecsOfModules(modules));
    kafka.declare(kafkaSpecs);
    runtimeStarting = true;
    await startWhenSpace.start(runtime);
    await freeSpace?.start();
    history.start();
    staticKafka = kafka.open(kafkaSpecs);
    // The worker's own ports first: a stored module can never take one of them and keep the worker down.
    await listen("ingress", ingressApp(runtime, { logger, bodyLimit: options.bodyLimit, limits, admit }));
    await listen("egress", egressApp(runtime, { logger, limits }));
    await dynamic.start();
    dynamic.watch(options.catalogPollMs ?? (runtime.clustered ? CLUSTER_CATALOG_POLL_MS : 2000));
  } catch (error) {
    freeSpace?.stop();
    history.stop();
    await closeApps().catch(() => {});
    await kafka.close();
    if (runtimeStarting) await runtime.stop().catch((err: unknown) => logger.warn({ err }, "stopping the runtime after a failed start"));
    await dynamic.close();
    await remotes.close();
    throw error;
  }

  const ports: ServerPorts = { admin: bound.admin ?? 0, ingress: bound.ingress ?? 0, egress: bound.egress ?? 0 };
  logger.info(
    {
      host,
      ports,
      modules: modules.length + yamlModules.length,
      endpoints: yaml.endpoints.length,
      worker: runtime.workerName,
      clustered: runtime.clustered,
    },
    "statefun worker started",
  );
  let closing: Promise<void> | undefined;
  return {
    runtime,
    ports,
    metrics,
    close() {
      closing ??= (async () => {
        // One drain budget for the whole stop: what the HTTP requests leave of it goes to the invocations still running.
        const drainUntil = Date.now() + limits.shutdownDrainMs;
        freeSpace?.stop();
        history.stop();
        await closeApps();
        await Promise.allSettled(extraIngresses.map((app) => drainAndClose(app, limits.shutdownDrainMs)));
        await staticKafka?.close();
        await kafka.close();
        try {
          await runtime.stop({ drainMs: Math.max(0, drainUntil - Date.now()) });
        } finally {
          await dynamic.close();
          await remotes.close();
        }
        logger.info({}, "statefun worker stopped");
      })();
      return closing;
    },
  };
}

/** Closes an app: requests in progress get `drainMs` to finish, then their connections are closed. */
async function drainAndClose(app: FastifyInstance, drainMs: number): Promise<void> {
  const timer = setTimeout(() => app.server.closeAllConnections(), drainMs);
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
  }
}

/** The store's kind, as the console shows it ("SQLite", "PostgreSQL", …). */
function storeKind(store: Store): string {
  // The embedded store is SQLite whichever thread it runs on (`ThreadedSqliteStore`).
  const name = store.constructor.name.replace(/^Threaded/, "").replace(/Store$/, "");
  return name === "Sqlite" ? "SQLite" : name === "Postgres" ? "PostgreSQL" : name;
}

/** What the stats history reads from the runtime. */
function runtimeStats(runtime: Runtime) {
  return {
    gauges: () => runtime.gauges(),
    functionGauges: () => runtime.functionGauges(),
    storeStats: () => runtime.storeStats(),
    storeCounts: () => runtime.storeCounts(),
    egressByTopic: () => runtime.egressByTopic(),
  };
}
