/**
 * A StateFun module file with `io.statefun.kafka.v1/ingress` and `io.statefun.kafka.v1/egress`
 * starts with `statefun run` (a real worker process, a real broker), and records flow end to end:
 * every record of the input topic becomes one message to its key's counter, and every counter
 * writes one record to the output topic, seen exactly once by a `read_committed` consumer.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, freePortOffset, killAllWorkers, WorkerProcess } from "../e2e/verifier/process.js";
import { consumeAll, createTopic, produce, testBrokers, unique } from "./kafka.js";
import { kafkaModuleYaml } from "./module-yaml.js";

const dir = mkdtempSync(join(tmpdir(), "statefun-kafka-module-"));
afterAll(async () => {
  await killAllWorkers();
  rmSync(dir, { recursive: true, force: true });
});

describe("statefun run with a module file of Kafka kinds", () => {
  it("consumes the input topic and writes one record per input, exactly once (read_committed)", async () => {
    expect(existsSync(CLI), `build first (npm run build): ${CLI}`).toBe(true);
    const brokers = testBrokers();
    const input = unique("in");
    const output = unique("out");
    await createTopic(input, 4);
    await createTopic(output, 1);
    const file = join(dir, "module.yaml");
    writeFileSync(file, kafkaModuleYaml({ brokers, input, group: unique("g"), semantic: "exactly-once" }));
    const worker = WorkerProcess.cli(file, {
      dataDir: join(dir, "data"),
      portOffset: await freePortOffset(),
      logFile: join(dir, "worker.log"),
    });
    try {
      await worker.start();
      const keys = ["ann", "bob", "cid", "dan", "eve"];
      const records = Array.from({ length: 50 }, (_, i) => ({ key: keys[i % keys.length]!, value: output }));
      await produce(input, records);
      const seen = await consumeAll(output, { until: (r) => r.length >= 50 });
      const expected = keys.flatMap((k) => Array.from({ length: 10 }, (_, i) => `${k}=${k}:${i + 1}`));
      expect(seen.sort(), worker.logTail(50)).toEqual(expected.sort());
    } finally {
      await worker.kill();
    }
  }, 90_000);
});
