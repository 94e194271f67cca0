/**
 * The StateFun playground's Python showcase (fixtures/showcase: its module.yaml and functions,
 * unchanged, served by the official Python SDK apache-flink-statefun 3.3.0) runs on our worker
 * through `statefun run`, only the broker and function addresses changed: the Kafka ingress
 * `showcase/names` routes the records of topic `names` (JSON `{"name": …}`, keyed by the name, as
 * the playground's producer writes input-example.json) to the Python function `showcase/serving`,
 * which counts them in its state and prints its greeting; and a Python function writing a
 * `KafkaProducerRecord` to the module's `exactly-once` egress `showcase/greets` is read once by a
 * `read_committed` consumer. Needs scripts/interop/setup-python.sh (npm test runs it).
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, freePortOffset, killAllWorkers, WorkerProcess } from "../e2e/verifier/process.js";
import { FunctionServer, stopAllFunctionServers } from "../interop/function-server.js";
import { requirePythonVenv } from "../interop/python.js";
import { until } from "./counter-worker.js";
import { consumeAll, createTopic, produce, testBrokers } from "./kafka.js";

const SHOWCASE = fileURLToPath(new URL("./fixtures/showcase/", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "statefun-kafka-showcase-"));
afterAll(async () => {
  await killAllWorkers();
  await stopAllFunctionServers();
  rmSync(dir, { recursive: true, force: true });
});

/** The showcase's module.yaml with its two addresses replaced, and nothing else. */
function showcaseModule(functions: FunctionServer, brokers: string): string {
  const original = readFileSync(join(SHOWCASE, "module.yaml"), "utf8");
  expect(original.match(/http:\/\/host-machine:8000\//g)).toHaveLength(1);
  expect(original.match(/\bkafka:9092\b/g)).toHaveLength(2);
  const path = join(dir, "module.yaml");
  writeFileSync(
    path,
    original.replace("http://host-machine:8000/", `http://127.0.0.1:${functions.port}/`).replaceAll("kafka:9092", brokers),
  );
  return path;
}

describe("the StateFun playground's Python showcase with Kafka I/O", () => {
  it("routes Kafka records to the Python function and writes KafkaProducerRecords exactly once, module.yaml unchanged but its addresses", async () => {
    expect(existsSync(CLI), `build first (npm run build): ${CLI}`).toBe(true);
    const python = requirePythonVenv();
    const functions = await FunctionServer.start(
      {
        name: "Python showcase",
        command: python,
        args: ["serve.py", "--port", "0"],
        cwd: SHOWCASE,
        env: { PYTHONUNBUFFERED: "1", PYTHONDONTWRITEBYTECODE: "1" },
      },
      join(dir, "functions.log"),
    );
    const brokers = testBrokers();
    await createTopic("names", 1);
    await createTopic("greetings", 1);
    const worker = WorkerProcess.cli(showcaseModule(functions, brokers), {
      dataDir: join(dir, "data"),
      portOffset: await freePortOffset(),
      logFile: join(dir, "worker.log"),
    });
    const logs = () => `worker:\n${worker.logTail(30)}\nfunctions:\n${functions.logTail(30)}`;
    try {
      await worker.start();
      // The playground's producer: each line of input-example.json, keyed by its name; three rounds.
      const lines = readFileSync(join(SHOWCASE, "input-example.json"), "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "");
      const records = lines.map((line) => ({ key: (JSON.parse(line) as { name: string }).name, value: line }));
      expect(records.map((r) => r.key)).toEqual(["Bob", "Joe"]);
      for (let round = 0; round < 3; round++) await produce("names", records);

      let lastAnswer = "";
      const seen = async (name: string) => {
        const response = await fetch(`${worker.urls.admin}/v1/state/showcase/serving/${name}`);
        lastAnswer = `${response.status} ${await response.clone().text()}`;
        const body = (await response.json()) as { state: { name: string; typename: string; value: unknown }[] };
        return body.state.find((s) => s.name === "seen") ?? null;
      };
      await until(
        "Bob and Joe seen three times",
        async () => [await seen("Bob"), await seen("Joe")],
        (s) => s.every((v) => v?.value === 3),
      ).catch((error: Error) => {
        throw new Error(`${error.message}; the last answer of GET /v1/state: ${lastAnswer}\n${logs()}`);
      });
      expect(await seen("Bob"), logs()).toEqual({ name: "seen", typename: "io.statefun.types/int", value: 3, expiresAt: null });
      const printed = readFileSync(functions.logFile, "utf8")
        .split("\n")
        .filter((l) => l.startsWith("hello "));
      expect(printed.sort()).toEqual(
        ["Bob", "Joe"].flatMap((name) => [1, 2, 3].map((n) => `hello ${name}! I've seen you ${n} times!`)).sort(),
      );

      // A Python function's KafkaProducerRecord to the egress showcase/greets (exactly-once).
      const names = ["Ann", "Cid", "Dee"].map((n) => `${n}-${randomUUID().slice(0, 8)}`);
      for (const name of names) {
        const response = await fetch(`${worker.urls.ingress}/showcase/greeter/${name}`, {
          method: "POST",
          headers: { "content-type": "application/vnd.showcase/GreetRequest" },
          body: JSON.stringify({ name }),
        });
        expect(response.status, await response.text()).toBeLessThan(300);
      }
      const mine = (all: string[]) => all.filter((r) => names.some((n) => r.startsWith(`${n}=`)));
      const greetings = mine(await consumeAll("greetings", { until: (r) => mine(r).length >= names.length }));
      expect(greetings.sort(), logs()).toEqual(names.map((n) => `${n}=Hello ${n}!`).sort());
    } finally {
      await worker.kill();
      await functions.stop();
    }
  }, 120_000);
});
