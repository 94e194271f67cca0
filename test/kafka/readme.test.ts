/**
 * The README's Kafka section, as written: a broker of its own started with
 * `scripts/kafka/broker.sh` (the section's topics `names` and `greetings` are the showcase's too,
 * so not on the shared test broker), its `npx statefun …` lines run in order against it
 * (`STATEFUN_KAFKA_BROKERS`, which `statefun kafka` reads), and
 * `examples/kafka-greeter/module.yaml` runs with only its broker address changed.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, freePortOffset, killAllWorkers, WorkerProcess } from "../e2e/verifier/process.js";
import { BROKER_SCRIPT } from "../setup/kafka.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const EXAMPLE = join(ROOT, "examples/kafka-greeter");
const run = promisify(execFile);

const dir = mkdtempSync(join(tmpdir(), "statefun-kafka-readme-"));
const brokerDir = join(dir, "kafka");
afterAll(async () => {
  await killAllWorkers();
  await run("bash", [BROKER_SCRIPT, "stop", brokerDir], { timeout: 60_000 }).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

/** The `npx statefun …` lines of the README's Kafka section, in order. */
function readmeCommands(): string[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("\n## Kafka\n"), readme.indexOf("\n## ", readme.indexOf("\n## Kafka\n") + 1));
  return section
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith("npx statefun "));
}

/** Splits a README command line into arguments (single-quoted words kept whole). */
function argv(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!).slice(2);
}

describe("the README's Kafka section", () => {
  it("creates the topics, runs the Kafka greeter example, produces two names and consumes two greetings", async () => {
    const commands = readmeCommands();
    const start = commands.findIndex((line) => line.startsWith("npx statefun run examples/kafka-greeter/module.yaml"));
    expect(start, commands.join("\n")).toBeGreaterThan(0);

    const brokers = (await run("bash", [BROKER_SCRIPT, "start", brokerDir], { timeout: 120_000 })).stdout.trim();
    const env = { ...process.env, STATEFUN_KAFKA_BROKERS: brokers };
    const statefun = (line: string) => run(process.execPath, [CLI, ...argv(line)], { env, timeout: 60_000 });
    for (const line of commands.slice(0, start)) await statefun(line);

    // The example's module file with the test broker's address; its module path made absolute.
    const yaml = readFileSync(join(EXAMPLE, "module.yaml"), "utf8")
      .replaceAll("address: 127.0.0.1:9092", `address: ${brokers}`)
      .replace("path: ./greeter.ts", `path: ${join(EXAMPLE, "greeter.ts")}`);
    writeFileSync(join(dir, "module.yaml"), yaml);
    const worker = WorkerProcess.cli(join(dir, "module.yaml"), {
      dataDir: join(dir, "data"),
      portOffset: await freePortOffset(),
      logFile: join(dir, "worker.log"),
    });
    try {
      await worker.start();
      const rest = commands.slice(start + 1);
      expect(rest.map((line) => argv(line)[1])).toEqual(["produce", "produce", "consume"]);
      let printed = "";
      for (const line of rest) printed = (await statefun(line)).stdout;
      expect(printed, worker.logTail(30)).toBe("Bob\tWelcome Bob!\nBob\tNice to see you again Bob.\n");
    } finally {
      await worker.kill();
    }
  }, 120_000);
});
