/**
 * Cluster mode with an exactly-once Kafka egress: two workers on one PostgreSQL store consume one
 * 8-partition topic and both deliver the shared outbox (in the store's commit order, fencing each
 * other through the one transactional id); one is killed with SIGKILL and restarted twice while
 * records flow. A read_committed consumer sees every key's outputs exactly `key:1 … key:n`, each
 * once.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { withSchema } from "../e2e/cluster/workers.js";
import { CLI, freePortOffset, killAllWorkers, WorkerProcess } from "../e2e/verifier/process.js";
import { dropSchema, testPostgresUrl, uniqueSchema } from "../setup/postgres-env.js";
import { crashRun } from "./crash-run.js";
import { createTopic, testBrokers, unique } from "./kafka.js";
import { kafkaModuleYaml } from "./module-yaml.js";

const dir = mkdtempSync(join(tmpdir(), "statefun-kafka-cluster-eo-"));
const schema = uniqueSchema("kafka_cluster_eo");
afterAll(async () => {
  await killAllWorkers();
  await dropSchema(schema);
  rmSync(dir, { recursive: true, force: true });
});

describe("Kafka exactly-once in cluster mode", () => {
  it("two workers on PostgreSQL, exactly-once egress; one killed twice mid-stream; every output once, read_committed", async () => {
    expect(existsSync(CLI), `build first (npm run build): ${CLI}`).toBe(true);
    const input = unique("in");
    const output = unique("out");
    await createTopic(input, 8);
    await createTopic(output, 2);
    const file = join(dir, "module.yaml");
    writeFileSync(file, kafkaModuleYaml({ brokers: testBrokers(), input, group: unique("g"), semantic: "exactly-once" }));
    const store = withSchema(testPostgresUrl(), schema);
    const workers = [];
    for (let i = 0; i < 2; i++) {
      const portOffset = await freePortOffset();
      workers.push(WorkerProcess.clusterCli(file, { store, portOffset, logFile: join(dir, `worker-${i}.log`) }));
    }
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
