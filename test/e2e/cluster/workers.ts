/** Helpers of the cluster e2e tests: store URLs, and what each worker says of its key groups. */
import { sleep } from "../verifier/http.js";

/** The key groups of a PostgreSQL store made by the runtime (the store's default). */
export const KEY_GROUPS = 128;

/** `url` with `?schema=` set: each test gets its own tables in the one test database. */
export function withSchema(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set("schema", schema);
  return parsed.toString();
}

/** One worker's `GET /v1/cluster`. */
export interface ClusterStatus {
  readonly worker: string;
  readonly clustered: boolean;
  readonly keyGroups: readonly number[];
}

export async function clusterStatuses(admins: readonly string[]): Promise<ClusterStatus[]> {
  return Promise.all(
    admins.map(async (admin) => {
      const response = await fetch(`${admin}/v1/cluster`);
      if (!response.ok) throw new Error(`GET ${admin}/v1/cluster: HTTP ${response.status} ${await response.text()}`);
      return (await response.json()) as ClusterStatus;
    }),
  );
}

/**
 * Waits until the workers hold every key group between them, evenly (sizes differing by at most
 * one: the split after a join or a failover), and returns their statuses; throws with the last ones after `timeoutMs`.
 */
export async function settledStatuses(admins: readonly string[], timeoutMs = 20_000): Promise<ClusterStatus[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const statuses = await clusterStatuses(admins);
    const held = new Set(statuses.flatMap((s) => s.keyGroups));
    const sizes = statuses.map((s) => s.keyGroups.length);
    if (held.size === KEY_GROUPS && Math.max(...sizes) - Math.min(...sizes) <= 1) return statuses;
    if (Date.now() > deadline) throw new Error(`the key groups did not settle within ${timeoutMs} ms: ${JSON.stringify(statuses)}`);
    await sleep(100);
  }
}
