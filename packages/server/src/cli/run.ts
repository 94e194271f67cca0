import { hostname } from "node:os";
import type { Logger } from "@statefun-ts/runtime";
import { storeFromUrl } from "@statefun-ts/store-postgres";
import { type RunningServer, startServer } from "../server.js";
import { DEFAULT_MEMORY, memoryLine, memoryPlan } from "./memory.js";
import type { RunArgs } from "./program.js";

/** `statefun run`: starts a worker, prints one line per port, stops gracefully on SIGINT/SIGTERM. */
export async function runCommand(args: RunArgs, logger?: Logger): Promise<RunningServer> {
  const store = args.store.kind === "postgres" ? storeFromUrl(args.store.url) : undefined;
  const cacheBytes = args.cacheBytes ?? memoryPlan(args.memoryBytes ?? DEFAULT_MEMORY).cacheBytes;
  const server = await startServer({
    modules: args.modules,
    ...(args.store.kind === "sqlite" ? { dataDir: args.store.dir } : { store }),
    owner: args.workerName ?? `${hostname()}-${process.pid}`,
    cluster: args.cluster,
    host: args.host,
    adminHost: args.adminHost,
    parkTimeoutMs: args.parkTimeoutMs,
    ports: args.ports,
    portOffset: args.portOffset,
    modulesDirs: args.modulesDirs,
    parkLimits: args.parkLimits,
    disk: args.minFreeBytes === undefined ? undefined : { minFreeBytes: args.minFreeBytes },
    limits: { maxCacheBytes: cacheBytes },
    logger,
    onFatal: (error) => {
      console.error(`statefun: the runtime failed, exiting (restart to recover from the store): ${(error as Error).message ?? error}`);
      process.exit(1);
    },
  });
  const host = args.host.includes(":") ? `[${args.host}]` : args.host;
  for (const [name, port] of Object.entries(server.ports)) console.log(`${name} listening on http://${host}:${port}`);
  if (store !== undefined) console.log(`cluster worker ${server.runtime.workerName} on ${store.location}`);
  console.log(memoryLine(cacheBytes));

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      console.error(`statefun: ${signal} again, exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    console.error(`statefun: ${signal}, stopping`);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`statefun: stopping failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  return server;
}
