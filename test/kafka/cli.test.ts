/** `statefun kafka create-topic`, `produce` and `consume` against the real broker, through the built CLI. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { CLI } from "../e2e/verifier/process.js";
import { createTopic, listTopics, testBrokers, unique } from "./kafka.js";

const run = promisify(execFile);
const statefun = (args: string[], input?: string) => {
  const child = run(process.execPath, [CLI, ...args], { timeout: 60_000 });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  return child;
};

describe("statefun kafka", () => {
  it("produces a record, and lines of stdin, and consumes them from the beginning with their keys", async () => {
    const brokers = testBrokers();
    const topic = unique("cli");
    await createTopic(topic, 1);
    await statefun(["kafka", "produce", topic, "bob", "hello bob", "--brokers", brokers]);
    await statefun(["kafka", "produce", topic, "-", "--brokers", brokers], "one\ntwo\n");
    const { stdout } = await statefun([
      "kafka",
      "consume",
      topic,
      "--from-beginning",
      "--read-committed",
      "--print-key",
      "--max-messages",
      "3",
      "--brokers",
      brokers,
    ]);
    expect(stdout).toBe("bob\thello bob\n\tone\n\ttwo\n");
  }, 90_000);

  it("creates a topic with its partitions, leaves one that exists, and says how to create a topic that is missing", async () => {
    const brokers = testBrokers();
    const topic = unique("cli-create");
    const created = await statefun(["kafka", "create-topic", topic, "--partitions", "3", "--brokers", brokers]);
    expect(created.stdout).toBe(`created topic ${topic} (3 partitions)\n`);
    const again = await statefun(["kafka", "create-topic", topic, "--brokers", brokers]);
    expect(again.stdout).toBe(`topic ${topic} exists (3 partitions), left as it is\n`);
    await statefun(["kafka", "produce", topic, "k", "v", "--brokers", brokers]);

    const missing = unique("cli-missing");
    const failed = await statefun(["kafka", "consume", missing, "--from-beginning", "--idle", "2s", "--brokers", brokers]).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain(`create it with: statefun kafka create-topic ${missing} --brokers ${brokers}`);
    expect(await listTopics()).not.toContain(missing);
  }, 90_000);

  it("produces to a topic the broker does not have yet and lets it create the topic, as Kafka's console producer does", async () => {
    const brokers = testBrokers();
    const topic = unique("cli-auto");
    await statefun(["kafka", "produce", topic, "k", "v", "--brokers", brokers]);
    const { stdout } = await statefun([
      "kafka",
      "consume",
      topic,
      "--from-beginning",
      "--print-key",
      "--max-messages",
      "1",
      "--brokers",
      brokers,
    ]);
    expect(stdout).toBe("k\tv\n");
  }, 90_000);

  it("says which broker it could not reach", async () => {
    const failed = await statefun(["kafka", "produce", "t", "k", "v", "--brokers", "127.0.0.1:1"]).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/^statefun: kafka produce to t at 127\.0\.0\.1:1: /);
  }, 90_000);
});
