/**
 * Exactly-once through Kafka, across SIGKILLs: records produced to a 4-partition topic while the
 * worker (`statefun run` with a module file of Kafka kinds) is killed 3 times; then every key's
 * outputs, read by a `read_committed` consumer, are exactly `key:1 … key:n`, each once (no
 * record turned into messages twice, none lost, no egress record written twice). The control: the
 * same run with a store that drops the partition positions from its commits shows duplicates,
 * so the check can fail.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, freePortOffset, killAllWorkers, WorkerProcess } from "../e2e/verifier/process.js";
import { crashRun } from "./crash-run.js";
import { createTopic, testBrokers, unique } from "./kafka.js";
import { kafkaModuleYaml } from "./module-yaml.js";

const DROPPING_WORKER = fileURLToPath(new URL("./fixtures/drop-positions-worker.mjs", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "statefun-kafka-crash-"));
afterAll(async () => {
  await killAllWorkers();
  rmSync(dir, { recursive: true, force: true });
});

async function setUp(name: string, semantic: string) {
  const input = unique("in");
  const output = unique("out");
  await createTopic(input, 4);
  await createTopic(output, 2);
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, kafkaModuleYaml({ brokers: testBrokers(), input, group: unique("g"), semantic }));
  return { input, output, file, data: join(dir, `${name}-data`), log: join(dir, `${name}.log`), portOffset: await freePortOffset() };
}

describe("Kafka exactly-once across SIGKILLs", () => {
  it("every record becomes one message and one egress record, seen once by a read_committed consumer, after 3 kills", async () => {
    expect(existsSync(CLI), `build first (npm run build): ${CLI}`).toBe(true);
    const run = await setUp("exactly-once", "exactly-once");
    const worker = WorkerProcess.cli(run.file, { dataDir: run.data, portOffset: run.portOffset, logFile: run.log });
    try {
      await worker.start();
      const result = await crashRun(worker, { input: run.input, output: run.output, records: 3_000, keys: 40, kills: 3 });
      expect(result.kills).toBeGreaterThanOrEqual(3);
      expect(worker.unexpectedExits, worker.logTail(80)).toEqual([]);
      expect(result.wrong, worker.logTail(80)).toEqual([]);
      expect(result.seen).toBe(3_000);
    } finally {
      await worker.kill();
    }
  }, 180_000);

  it("at-least-once egress: every output at least once, and the counts exact (ingestion stays exactly-once)", async () => {
    const run = await setUp("at-least-once", "at-least-once");
    const worker = WorkerProcess.cli(run.file, { dataDir: run.data, portOffset: run.portOffset, logFile: run.log });
    try {
      await worker.start();
      const result = await crashRun(worker, { input: run.input, output: run.output, records: 2_000, keys: 40, kills: 3 });
      expect(result.kills).toBeGreaterThanOrEqual(3);
      expect(result.missing, worker.logTail(80)).toBe(0);
      // Duplicates may only be the same output twice (a resend), never a count past its input's.
      expect(result.overCount, worker.logTail(80)).toBe(0);
    } finally {
      await worker.kill();
    }
  }, 180_000);

  it("control: a store that drops the positions from its commits makes the same run report duplicates", async () => {
    const run = await setUp("control", "exactly-once");
    const worker = new WorkerProcess({
      args: [DROPPING_WORKER, run.file, run.data, String(run.portOffset)],
      portOffset: run.portOffset,
      logFile: run.log,
    });
    try {
      await worker.start();
      const result = await crashRun(worker, { input: run.input, output: run.output, records: 800, keys: 20, kills: 3 });
      expect(result.kills).toBeGreaterThanOrEqual(3);
      expect(
        result.duplicates,
        `the control found no duplicate: the crash test could not catch one (${JSON.stringify(result)})`,
      ).toBeGreaterThan(0);
    } finally {
      await worker.kill();
    }
  }, 180_000);
});
