/**
 * Cluster mode with an exactly-once Kafka egress: two workers on one PostgreSQL store consume one
 * 8-partition topic; one of them at a time delivers the shared outbox (in the store's commit order;
 * the store's deliverer lease says which), the first to start. That one is killed with SIGKILL and
 * restarted twice while records flow: the lease moves on to a live worker. A read_committed consumer
 * sees every key's outputs exactly `key:1 … key:n`, each once, and no worker's transactional
 * producer was ever fenced by the other's (they do not take turns).
 */
import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, killAllWorkers, type WorkerProcess } from "../e2e/verifier/process.js";
import { clusterScratch, twoClusterWorkers } from "./cluster-workers.js";
import { crashRun } from "./crash-run.js";

const scratch = clusterScratch("kafka_cluster_eo");
afterAll(() => scratch.remove());

/** Whether the worker's Kafka egress delivers now (`GET /v1/io`), or stands by for another worker. */
async function delivering(worker: WorkerProcess): Promise<boolean> {
  const io = (await (await fetch(`${worker.urls.admin}/v1/io`)).json()) as { kafka: { egresses: { delivering: boolean }[] } };
  return io.kafka.egresses[0]?.delivering === true;
}

/** Waits until the worker's Kafka egress delivers. */
async function untilDelivering(worker: WorkerProcess, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await delivering(worker))) {
    if (Date.now() > deadline) throw new Error(`${what}: its Kafka egress did not start delivering within 30 s:\n${worker.logTail(40)}`);
    await sleep(100);
  }
}

/** Waits until exactly one of the workers' Kafka egresses delivers (one holds the deliverer lease). */
async function untilOneDelivers(workers: readonly WorkerProcess[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const states = await Promise.all(workers.map(delivering));
    if (states.filter(Boolean).length === 1) return;
    if (Date.now() > deadline) {
      throw new Error(
        `after the kills, ${states.filter(Boolean).length} workers deliver, not one:\n${workers.map((w) => w.logTail(20)).join("\n---\n")}`,
      );
    }
    await sleep(100);
  }
}

/** A worker's log line telling that its Kafka egress's producer was fenced by another's. */
const isFencing = (line: string) =>
  line.includes("Kafka egress: delivery failed") && /fenc|PRODUCER_FENCED|INVALID_PRODUCER_EPOCH|epoch/i.test(line);

describe("Kafka exactly-once in cluster mode", () => {
  it("two workers on PostgreSQL, exactly-once egress; one killed twice mid-stream; every output once, read_committed", async () => {
    expect(existsSync(CLI), `build first (npm run build): ${CLI}`).toBe(true);
    const { input, output, workers } = await twoClusterWorkers(scratch, "exactly-once");
    const [steady, killed] = workers as [WorkerProcess, WorkerProcess];
    try {
      // The worker killed below starts first, so it is the one delivering when it dies.
      await killed.start();
      await untilDelivering(killed, "the first worker");
      await steady.start();
      expect(await delivering(steady)).toBe(false);
      const result = await crashRun(killed, { input, output, records: 2_000, keys: 40, kills: 2 });
      const logs = `${steady.logTail(40)}\n---\n${killed.logTail(40)}`;
      expect(result.kills).toBe(2);
      expect(result.wrong, logs).toEqual([]);
      expect(result.seen).toBe(2_000);
      expect(steady.unexpectedExits, logs).toEqual([]);
      // The lease moved on from the killed deliverer: after the kills exactly one worker delivers
      // (the steady one, or the killed one restarted when it asked first), never both.
      await untilOneDelivers([steady, killed]);
      // One worker delivers the egress at a time (its deliverer lease): no worker's transactional
      // producer is fenced by the other's while both run.
      const fenced = [steady, killed].flatMap((w) => w.log().split("\n")).filter(isFencing);
      expect(fenced, logs).toEqual([]);
    } finally {
      await killAllWorkers();
    }
  }, 240_000);
});
