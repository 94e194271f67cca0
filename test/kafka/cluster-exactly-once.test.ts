/**
 * Cluster mode with an exactly-once Kafka egress: two workers on one PostgreSQL store consume one
 * 8-partition topic and both deliver the shared outbox (in the store's commit order, fencing each
 * other through the one transactional id); one is killed with SIGKILL and restarted twice while
 * records flow. A read_committed consumer sees every key's outputs exactly `key:1 … key:n`, each
 * once.
 */
import { existsSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, killAllWorkers, type WorkerProcess } from "../e2e/verifier/process.js";
import { clusterScratch, twoClusterWorkers } from "./cluster-workers.js";
import { crashRun } from "./crash-run.js";

const scratch = clusterScratch("kafka_cluster_eo");
afterAll(() => scratch.remove());

describe("Kafka exactly-once in cluster mode", () => {
  it("two workers on PostgreSQL, exactly-once egress; one killed twice mid-stream; every output once, read_committed", async () => {
    expect(existsSync(CLI), `build first (npm run build): ${CLI}`).toBe(true);
    const { input, output, workers } = await twoClusterWorkers(scratch, "exactly-once");
    const [steady, killed] = workers as [WorkerProcess, WorkerProcess];
    try {
      await steady.start();
      await killed.start();
      const result = await crashRun(killed, { input, output, records: 2_000, keys: 40, kills: 2 });
      const logs = `${steady.logTail(40)}\n---\n${killed.logTail(40)}`;
      expect(result.kills).toBe(2);
      expect(result.wrong, logs).toEqual([]);
      expect(result.seen).toBe(2_000);
      expect(steady.unexpectedExits, logs).toEqual([]);
    } finally {
      await killAllWorkers();
    }
  }, 240_000);
});
