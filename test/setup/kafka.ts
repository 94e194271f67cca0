// Vitest globalSetup of the `kafka` project: one real Apache Kafka broker per `vitest run`, for the
// Kafka suites only (test/kafka). It starts a throwaway single-node KRaft broker with
// scripts/kafka/broker.sh (installed by scripts/kafka/setup.sh: Kafka 4.1.1 from Maven Central) in
// a temp directory on a free loopback port, hands its address to the tests with `provide` and the
// environment variable STATEFUN_TEST_KAFKA_BROKERS (which child processes inherit), and stops it
// and deletes its directory at teardown. With STATEFUN_TEST_KAFKA_BROKERS already set, it uses
// that broker and starts none.
//
// When the broker cannot be started, the run goes on and every test that asks for it fails with
// the reason (test/kafka/broker.ts): they never skip.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** The test broker's bootstrap address (`127.0.0.1:PORT`), or "" when it could not be started. */
    kafkaBrokers: string;
    /** Why the test broker could not be started ("" when it runs). */
    kafkaError: string;
  }
}

const VARIABLE = "STATEFUN_TEST_KAFKA_BROKERS";
export const BROKER_SCRIPT = fileURLToPath(new URL("../../scripts/kafka/broker.sh", import.meta.url));
const run = promisify(execFile);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env[VARIABLE];
  if (given !== undefined && given !== "") {
    project.provide("kafkaBrokers", given);
    project.provide("kafkaError", "");
    return async () => {};
  }
  const dir = await mkdtemp(join(tmpdir(), "statefun-kafka-"));
  let brokers: string;
  try {
    brokers = (await run("bash", [BROKER_SCRIPT, "start", dir], { timeout: 120_000 })).stdout.trim();
  } catch (error) {
    project.provide("kafkaBrokers", "");
    project.provide("kafkaError", `${(error as Error).message}`.trim());
    await run("bash", [BROKER_SCRIPT, "stop", dir]).catch(() => {});
    return async () => {};
  }
  process.env[VARIABLE] = brokers;
  project.provide("kafkaBrokers", brokers);
  project.provide("kafkaError", "");
  return async () => {
    delete process.env[VARIABLE];
    await run("bash", [BROKER_SCRIPT, "stop", dir], { timeout: 60_000 }).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  };
}
