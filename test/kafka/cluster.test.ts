/**
 * Cluster mode: two workers on one PostgreSQL store consume one 8-partition topic through their
 * consumer group; one is killed with SIGKILL and restarted twice while records flow. Every record
 * becomes exactly one message (no count past its inputs, none missing), though partitions move
 * between the workers at every kill and restart. The egress is at-least-once here (see the
 * package README on exactly-once egress in cluster mode).
 */
import { existsSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, killAllWorkers, type WorkerProcess } from "../e2e/verifier/process.js";
import { clusterScratch, twoClusterWorkers } from "./cluster-workers.js";
import { crashRun } from "./crash-run.js";

const scratch = clusterScratch("kafka_cluster");
afterAll(() => scratch.remove());

describe("Kafka ingress in cluster mode", () => {
  it("two workers on PostgreSQL share an 8-partition topic; one killed twice mid-stream; every count exact", async () => {
    expect(existsSync(CLI), `build first (npm run build): ${CLI}`).toBe(true);
    const { input, output, workers } = await twoClusterWorkers(scratch, "at-least-once");
    const [steady, killed] = workers as [WorkerProcess, WorkerProcess];
    try {
      await steady.start();
      await killed.start();
      const result = await crashRun(killed, { input, output, records: 2_000, keys: 40, kills: 2 });
      const logs = `${steady.logTail(40)}\n---\n${killed.logTail(40)}`;
      expect(result.kills).toBe(2);
      expect(result.overCount, logs).toBe(0);
      expect(result.missing, logs).toBe(0);
      expect(steady.unexpectedExits, logs).toEqual([]);
    } finally {
      await killAllWorkers();
    }
  }, 240_000);
});
