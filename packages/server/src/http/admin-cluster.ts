import type { Runtime } from "@statefun-ts/runtime";
import type { FastifyInstance } from "fastify";

/** What `GET /v1/cluster` reads from the runtime. */
export type ClusterRuntime = Pick<Runtime, "workerName" | "clustered" | "ownedKeyGroups"> & Partial<Pick<Runtime, "clusterView">>;

/** One live worker as this worker last saw it: the key groups it leases, as ranges, and their epochs. */
export interface ClusterMember {
  readonly worker: string;
  readonly keyGroups: number;
  readonly ranges: readonly string[];
  /** Lowest and highest lease epoch of its key groups (null when it leases none). */
  readonly epochs: { readonly min: number; readonly max: number } | null;
}

/** `GET /v1/cluster`: this worker's name, whether it shares key groups with others, and the ones it runs now. */
export interface ClusterStatus {
  readonly worker: string;
  readonly clustered: boolean;
  /** Key groups run by this worker now, ascending. */
  readonly keyGroups: readonly number[];
  /** The same as ranges, e.g. `["0-42", "86"]`. */
  readonly ranges: readonly string[];
  /** Every live member with its leases, as of this worker's last heartbeat. */
  readonly members?: readonly ClusterMember[];
  /** Key groups leased by no live member (released, or held by a worker that lapsed). */
  readonly unowned?: readonly string[];
  /** When this worker's last heartbeat answered (null for a single owner, which does not heartbeat). */
  readonly lastHeartbeat?: string | null;
  readonly heartbeatMs?: number | null;
  readonly leaseMs?: number | null;
}

/** The cluster route of the admin API. */
export function clusterRoutes(app: FastifyInstance, runtime: ClusterRuntime): void {
  app.get("/v1/cluster", async (): Promise<ClusterStatus> => clusterStatus(runtime));
}

export function clusterStatus(runtime: ClusterRuntime): ClusterStatus {
  const keyGroups = [...runtime.ownedKeyGroups()].sort((a, b) => a - b);
  const status = { worker: runtime.workerName, clustered: runtime.clustered, keyGroups, ranges: ranges(keyGroups) };
  const view = runtime.clusterView?.();
  if (view === undefined) return status;
  const live = new Set(view.members);
  const held = new Map<string, { kgs: number[]; epochs: number[] }>(view.members.map((m) => [m, { kgs: [], epochs: [] }]));
  const unowned: number[] = [];
  for (const [kg, lease] of [...view.leases].sort(([a], [b]) => a - b)) {
    const entry = lease.owner !== undefined && live.has(lease.owner) ? held.get(lease.owner) : undefined;
    if (entry === undefined) unowned.push(kg);
    else {
      entry.kgs.push(kg);
      entry.epochs.push(lease.epoch);
    }
  }
  const members = [...held].map(([worker, { kgs, epochs }]) => ({
    worker,
    keyGroups: kgs.length,
    ranges: ranges(kgs),
    epochs: epochs.length === 0 ? null : { min: Math.min(...epochs), max: Math.max(...epochs) },
  }));
  return {
    ...status,
    members,
    unowned: ranges(unowned),
    lastHeartbeat: view.heartbeatAt === undefined ? null : new Date(view.heartbeatAt).toISOString(),
    heartbeatMs: view.heartbeatMs ?? null,
    leaseMs: view.leaseMs ?? null,
  };
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
