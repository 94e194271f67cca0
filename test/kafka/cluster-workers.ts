/**
 * What the Kafka cluster suites share: a scratch directory and PostgreSQL schema, an 8-partition
 * input topic and a 2-partition output topic, and two workers of the counter module (not started)
 * in cluster mode on one store.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { withSchema } from "../e2e/cluster/workers.js";
import { freePortOffset, killAllWorkers, WorkerProcess } from "../e2e/verifier/process.js";
import { dropSchema, testPostgresUrl, uniqueSchema } from "../setup/postgres-env.js";
import { createTopic, testBrokers, unique } from "./kafka.js";
import { kafkaModuleYaml } from "./module-yaml.js";

export interface ClusterScratch {
  readonly dir: string;
  readonly schema: string;
  /** Kills the workers still running, drops the schema and removes the directory. */
  remove(): Promise<void>;
}

/** A directory and a schema named after `name`, for one test file. */
export function clusterScratch(name: string): ClusterScratch {
  const dir = mkdtempSync(join(tmpdir(), `statefun-${name.replaceAll("_", "-")}-`));
  const schema = uniqueSchema(name);
  return {
    dir,
    schema,
    async remove() {
      await killAllWorkers();
      await dropSchema(schema);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** New input and output topics, and two cluster workers reading the input with the egress `semantic`, each with a log file. */
export async function twoClusterWorkers(
  scratch: ClusterScratch,
  semantic: "at-least-once" | "exactly-once",
): Promise<{ input: string; output: string; workers: WorkerProcess[] }> {
  const input = unique("in");
  const output = unique("out");
  await createTopic(input, 8);
  await createTopic(output, 2);
  const file = join(scratch.dir, "module.yaml");
  writeFileSync(file, kafkaModuleYaml({ brokers: testBrokers(), input, group: unique("g"), semantic }));
  const store = withSchema(testPostgresUrl(), scratch.schema);
  const workers = [];
  for (let i = 0; i < 2; i++) {
    const portOffset = await freePortOffset();
    workers.push(WorkerProcess.clusterCli(file, { store, portOffset, logFile: join(scratch.dir, `worker-${i}.log`) }));
  }
  return { input, output, workers };
}
