import { requestWithRetry } from "./http.js";

/** Reads the count of every id, 16 at a time. */
export async function readCounts(ids: readonly string[], readCount: (id: string) => Promise<number>): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      counts.set(id, await readCount(id));
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return counts;
}

/** Reads `count` through `GET /v1/state/{namespace}/{type}/{id}` (0 when the instance has no state). */
export function adminCountReader(admin: readonly string[], functionType: string): (id: string) => Promise<number> {
  return async (id) => {
    const response = await requestWithRetry(admin, `/v1/state/${functionType}/${encodeURIComponent(id)}`, {}, { deadlineMs: 30_000 });
    if (response.status === 404) return 0;
    const body = (await response.json()) as { state?: { name: string; value: unknown }[] };
    const value = body.state?.find((s) => s.name === "count")?.value;
    return value === undefined ? 0 : Number(value);
  };
}

/** Dead letters of this run (a shared store may hold others'). */
export async function readDeadLetters(admin: readonly string[], runId: string): Promise<string[]> {
  if (admin.length === 0) return [];
  const response = await requestWithRetry(admin, "/v1/deadletters?limit=1000", {}, { deadlineMs: 30_000 });
  if (response.status === 404) return [];
  const letters = (await response.json()) as unknown[];
  return letters.map((l) => JSON.stringify(l)).filter((text) => text.includes(runId));
}
