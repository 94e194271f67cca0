/** `statefun kafka produce` and `statefun kafka consume` against the real broker, through the built CLI. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { CLI } from "../e2e/verifier/process.js";
import { createTopic, testBrokers, unique } from "./kafka.js";

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

  it("says which broker it could not reach", async () => {
    const failed = await statefun(["kafka", "produce", "t", "k", "v", "--brokers", "127.0.0.1:1"]).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/^statefun: kafka produce to t at 127\.0\.0\.1:1: /);
  }, 90_000);
});
