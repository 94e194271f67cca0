import type { Runtime } from "@statefun-ts/runtime";
import type { FastifyInstance } from "fastify";

/** What `GET /v1/cluster` reads from the runtime. */
export type ClusterRuntime = Pick<Runtime, "workerName" | "clustered" | "ownedKeyGroups">;

/** `GET /v1/cluster`: this worker's name, whether it shares key groups with others, and the ones it runs now. */
export interface ClusterStatus {
  readonly worker: string;
  readonly clustered: boolean;
  /** Key groups run by this worker now, ascending. */
  readonly keyGroups: readonly number[];
  /** The same as ranges, e.g. `["0-42", "86"]`. */
  readonly ranges: readonly string[];
}

/** The cluster route of the admin API. */
export function clusterRoutes(app: FastifyInstance, runtime: ClusterRuntime): void {
  app.get("/v1/cluster", async (): Promise<ClusterStatus> => clusterStatus(runtime));
}

export function clusterStatus(runtime: ClusterRuntime): ClusterStatus {
  const keyGroups = [...runtime.ownedKeyGroups()].sort((a, b) => a - b);
  return { worker: runtime.workerName, clustered: runtime.clustered, keyGroups, ranges: ranges(keyGroups) };
}

/** Ascending numbers as contiguous ranges: `[0, 1, 2, 5]` → `["0-2", "5"]`. */
export function ranges(sorted: readonly number[]): string[] {
  const out: string[] = [];
  let start = sorted[0];
  let end = start;
  for (const n of sorted.slice(1)) {
    if (end !== undefined && n === end + 1) {
      end = n;
      continue;
    }
    if (start !== undefined) out.push(start === end ? `${start}` : `${start}-${end}`);
    start = n;
    end = n;
  }
  if (start !== undefined) out.push(start === end ? `${start}` : `${start}-${end}`);
  return out;
}
