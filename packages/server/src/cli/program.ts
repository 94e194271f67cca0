import type { Address } from "@statefun-ts/protocol";
import { toMillis } from "@statefun-ts/protocol";
import { Command, Option } from "commander";
import type { ServerPorts } from "../server.js";
import { adminCommands } from "./admin-commands.js";
import {
  parseAddress,
  parseCount,
  parseDuration,
  parseMillis,
  parseOffset,
  parsePort,
  parseSize,
  parseStore,
  parseTypename,
  parseUrl,
  parseWorkerName,
  type StoreTarget,
} from "./args.js";
import { consoleCommands } from "./console-commands.js";
import { deadLetterCommands } from "./deadletter-commands.js";
import { kafkaCommands } from "./kafka-commands.js";
import { parseMemory } from "./memory.js";
import { movingCommands } from "./moving-commands.js";

export interface RunArgs {
  readonly modules: readonly string[];
  readonly store: StoreTarget;
  readonly host: string;
  /** Interface of the admin API (default: `host`). */
  readonly adminHost?: string | undefined;
  /** Park timeout in milliseconds. */
  readonly parkTimeoutMs?: number | undefined;
  readonly ports: Partial<ServerPorts>;
  readonly portOffset: number;
  /** This worker's name in leases (cluster mode; default `${hostname}-${pid}`). */
  readonly workerName?: string | undefined;
  /** Cluster heartbeat and lease durations in milliseconds (defaults: the runtime's, 1 s and 3 s). */
  readonly cluster?: { readonly heartbeatMs?: number; readonly leaseMs?: number } | undefined;
  /** `--modules-dir`: directories module files loaded through the admin API must lie in. */
  readonly modulesDirs?: readonly string[] | undefined;
  /** `--max-parked`, `--max-parked-total`: bounds of parked messages (per type, in all). */
  readonly parkLimits?: { readonly perType?: number; readonly total?: number } | undefined;
  /** `--min-free-disk`: the free-space watermark of the data directory's disk, in bytes. */
  readonly minFreeBytes?: number | undefined;
  /** `--cache-memory` (`STATEFUN_CACHE_MEMORY`): the address cache's budget in bytes (`Limits.maxCacheBytes`). */
  readonly cacheBytes?: number | undefined;
  /** `--memory` (`STATEFUN_MEMORY`, default 512MiB): the worker's memory budget in bytes (see `cli/memory.ts`). */
  readonly memoryBytes?: number | undefined;
}

export interface MessageArgs {
  readonly address: Address;
  /** The body given on the command line; `undefined` reads stdin. */
  readonly body: string | undefined;
  readonly type: string | undefined;
  readonly idempotencyKey: string | undefined;
  readonly ingress: string;
}

export interface CallArgs extends MessageArgs {
  readonly timeout: string;
}

export interface StateArgs {
  readonly address: Address;
  readonly admin: string;
}

/** One request to the admin API (`statefun functions …`, `statefun modules …`). */
export interface AdminArgs {
  readonly admin: string;
  readonly method: "GET" | "PUT" | "POST" | "DELETE";
  /** Path under the admin URL, already encoded. */
  readonly path: string;
  /** A body given as text, or a file to read (`-`: stdin). */
  readonly body?: { readonly text: string } | { readonly file: string } | undefined;
  readonly contentType?: string | undefined;
}

/** What each command does once its arguments are parsed and checked. */
export interface CliActions {
  run(args: RunArgs): Promise<void>;
  send(args: MessageArgs): Promise<void>;
  call(args: CallArgs): Promise<void>;
  state(args: StateArgs): Promise<void>;
  admin(args: AdminArgs): Promise<void>;
}

/** `--worker-name`, `--heartbeat`, `--lease`: only the ones given (the runtime has the defaults). */
function clusterArgs(
  opts: { workerName?: string; heartbeat?: number; lease?: number },
  fail: (message: string) => never,
): Pick<RunArgs, "workerName" | "cluster"> {
  const cluster = {
    ...(opts.heartbeat === undefined ? {} : { heartbeatMs: opts.heartbeat }),
    ...(opts.lease === undefined ? {} : { leaseMs: opts.lease }),
  };
  const heartbeat = cluster.heartbeatMs ?? 1_000;
  const lease = cluster.leaseMs ?? 3_000;
  if (lease <= heartbeat) {
    fail(`option '--lease' (${lease} ms) must be longer than '--heartbeat' (${heartbeat} ms)`);
  }
  return {
    ...(opts.workerName === undefined ? {} : { workerName: opts.workerName }),
    ...(Object.keys(cluster).length === 0 ? {} : { cluster }),
  };
}

export const DEFAULT_INGRESS_URL = "http://127.0.0.1:8090";
export const DEFAULT_ADMIN_URL = "http://127.0.0.1:8081";

/**
 * The `statefun` command line. Parsing errors throw a `CommanderError` (exit code 2 in
 * `main`), naming the argument.
 */
export function buildProgram(actions: CliActions): Command {
  const program = new Command("statefun")
    .description("Stateful Functions for TypeScript: run a worker, or talk to a running one.")
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)");

  program
    .command("run")
    .description("start a worker with the given module files")
    .argument(
      "[MODULE_FILE...]",
      "module files: .ts, .mts, .js, .mjs, or StateFun module.yaml (remote endpoints, playground ingress/egress)",
    )
    .addOption(new Option("--data <dir>", "data directory of the embedded SQLite store").env("STATEFUN_DATA").default(".statefun"))
    .option(
      "--store <url>",
      "store: sqlite:DIR or a directory (overrides --data), or postgres://user@host:port/db[?schema=name] (cluster mode)",
      parseStore,
    )
    .option("--host <host>", "interface to bind", "127.0.0.1")
    .option("--admin-port <n>", "admin API port (default 8081)", parsePort)
    .option("--ingress-port <n>", "HTTP ingress port (default 8090)", parsePort)
    .option("--egress-port <n>", "HTTP egress port (default 8091)", parsePort)
    .option("--port-offset <n>", "added to every port", parseOffset, 0)
    .option("--admin-host <host>", "interface of the admin API (default: --host); off loopback it requires STATEFUN_ADMIN_TOKEN")
    .option("--park-timeout <duration>", "dead-letter messages to a function type left unloaded this long (default 24h)", parseDuration)
    .option("--worker-name <name>", "cluster mode: this worker's name in leases (default: hostname-pid)", parseWorkerName)
    .option("--heartbeat <duration>", "cluster mode: how often the worker heartbeats and rebalances (default 1s)", parseMillis)
    .option("--lease <duration>", "cluster mode: a worker silent this long is dead, its key groups taken over (default 3s)", parseMillis)
    .option(
      "--modules-dir <dir>",
      "module files loaded through the admin API must lie in this directory (repeatable; default: anywhere)",
      (dir: string, dirs: string[] = []) => [...dirs, dir],
    )
    .option(
      "--max-parked <n>",
      "most parked messages of one function type not loaded; past it the ingress answers 429 (default 10000)",
      parseCount,
    )
    .option("--max-parked-total <n>", "most parked messages of all types (default 100000)", parseCount)
    .option(
      "--min-free-disk <size>",
      "below this much free space on the data directory's disk the ingress answers 507 (default 64MiB)",
      parseSize,
    )
    .addOption(
      new Option(
        "--cache-memory <size>",
        "budget of the cached instances and their state; past it the least recently used idle ones are forgotten (default 1/8 of --memory)",
      )
        .env("STATEFUN_CACHE_MEMORY")
        .argParser(parseSize),
    )
    .addOption(
      new Option(
        "--memory <size>",
        "the worker's memory budget: node runs with a heap limit of 9/16 of it (unless --max-old-space-size is in NODE_OPTIONS), the cache gets 1/8 (default 512MiB, at least 256MiB)",
      )
        .env("STATEFUN_MEMORY")
        .argParser(parseMemory),
    )
    .action(async (modules: string[], opts, command: Command) => {
      const cluster = clusterArgs(opts, (message) => command.error(`error: ${message}`));
      const ports: Partial<Record<keyof ServerPorts, number>> = {};
      if (opts.adminPort !== undefined) ports.admin = opts.adminPort;
      if (opts.ingressPort !== undefined) ports.ingress = opts.ingressPort;
      if (opts.egressPort !== undefined) ports.egress = opts.egressPort;
      const store: StoreTarget = opts.store ?? { kind: "sqlite", dir: opts.data };
      await actions.run({
        modules,
        store,
        host: opts.host,
        adminHost: opts.adminHost,
        parkTimeoutMs: opts.parkTimeout === undefined ? undefined : toMillis(opts.parkTimeout),
        ports,
        portOffset: opts.portOffset,
        ...(opts.modulesDir === undefined ? {} : { modulesDirs: opts.modulesDir }),
        ...(opts.maxParked === undefined && opts.maxParkedTotal === undefined
          ? {}
          : {
              parkLimits: {
                ...(opts.maxParked === undefined ? {} : { perType: opts.maxParked }),
                ...(opts.maxParkedTotal === undefined ? {} : { total: opts.maxParkedTotal }),
              },
            }),
        ...(opts.minFreeDisk === undefined ? {} : { minFreeBytes: opts.minFreeDisk }),
        ...(opts.cacheMemory === undefined ? {} : { cacheBytes: opts.cacheMemory }),
        ...(opts.memory === undefined ? {} : { memoryBytes: opts.memory }),
        ...cluster,
      });
    });

  const messageCommand = (name: string, description: string) =>
    program
      .command(name)
      .description(description)
      .argument("<address>", "target as namespace/type/id", parseAddress)
      .argument("[body]", "message body (default: read stdin)")
      .option("--type <typename>", "message type name (default: a string message)", parseTypename)
      .option("--idempotency-key <key>", "retries with the same key count once")
      .option("--ingress <url>", "ingress base URL", parseUrl, DEFAULT_INGRESS_URL);

  messageCommand("send", "send a message; prints the request id").action(async (address: Address, body: string | undefined, opts) => {
    await actions.send({ address, body, type: opts.type, idempotencyKey: opts.idempotencyKey, ingress: opts.ingress });
  });

  messageCommand("call", "send a message and print the function's reply")
    .option("--timeout <duration>", "how long to wait for the reply", parseDuration, "5s")
    .action(async (address: Address, body: string | undefined, opts) => {
      await actions.call({
        address,
        body,
        type: opts.type,
        idempotencyKey: opts.idempotencyKey,
        ingress: opts.ingress,
        timeout: opts.timeout,
      });
    });

  program
    .command("state")
    .description("print every state value of an instance as JSON")
    .argument("<address>", "instance as namespace/type/id", parseAddress)
    .option("--admin <url>", "admin API base URL", parseUrl, DEFAULT_ADMIN_URL)
    .action(async (address: Address, opts) => {
      await actions.state({ address, admin: opts.admin });
    });

  adminCommands(program, actions);
  deadLetterCommands(program, actions);
  consoleCommands(program, actions);
  movingCommands(program);
  kafkaCommands(program);
  return program;
}
