/**
 * A worker in the test's process running the Kafka tests' counter (fixtures/counter.ts) behind
 * Kafka ingresses given as YAML, its admin API on a free port; and how to read what it counted.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { IntCodec } from "@statefun-ts/protocol";
import { type Limits, silentLogger } from "@statefun-ts/runtime";
import { parseModuleYaml, type RunningServer, startServer } from "@statefun-ts/server";
import { Kafka, logLevel } from "kafkajs";
import { testBrokers } from "./kafka.js";
import { COUNTER } from "./module-yaml.js";

/** One `io.statefun.kafka.v1/ingress` to `kafka-test/counter`; `extra` are more spec lines (two spaces in). */
export function counterIngress(o: { id: string; topic: string; group: string; extra?: string; brokers?: string }): string {
  return `---
kind: io.statefun.kafka.v1/ingress
spec:
  id: kafka-test/${o.id}
  address: ${o.brokers ?? testBrokers()}
  consumerGroupId: ${o.group}
  topics:
    - topic: ${o.topic}
      valueType: kafka-test/text
      targets:
        - kafka-test/counter
${o.extra ?? ""}`;
}

/**
 * Starts a worker with the counter, the given ingresses and the egress `kafka-test/out`
 * (`at-least-once`; the counter writes to the topic its input record names).
 */
export async function startCounterWorker(o: {
  ingresses: readonly string[];
  dataDir: string;
  limits?: Partial<Limits>;
  brokers?: string;
}): Promise<RunningServer> {
  const yaml = `kind: io.statefun-ts.v1/module
spec:
  path: ${COUNTER}
${o.ingresses.join("")}---
kind: io.statefun.kafka.v1/egress
spec:
  id: kafka-test/out
  address: ${o.brokers ?? testBrokers()}
`;
  return startServer({
    modules: [await parseModuleYaml(yaml, "counter-worker.yaml")],
    dataDir: o.dataDir,
    ports: { admin: 0, ingress: 0, egress: 0 },
    logger: silentLogger,
    limits: o.limits,
  });
}

/** What the counter counted for `id` (0 when nothing). */
export async function countOf(server: RunningServer, id: string): Promise<number> {
  const state = await server.runtime.readState({ namespace: "kafka-test", type: "counter", id });
  const count = state.find((s) => s.name === "count");
  return count === undefined ? 0 : IntCodec.decode(count.value);
}

/** Polls `check` until it holds (then returns); throws `what` with the last value after `timeoutMs`. */
export async function until<T>(what: string, read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Waits until the worker's `/readyz` answers 200 (its Kafka ingresses joined and positioned). */
export async function untilReady(server: RunningServer, timeoutMs = 60_000): Promise<void> {
  await until(
    "the worker's /readyz",
    async () => {
      const response = await fetch(`http://127.0.0.1:${server.ports.admin}/readyz`);
      return { status: response.status, body: await response.json() };
    },
    (r) => r.status === 200,
    timeoutMs,
  );
}

/** Sets the committed offsets of `group` (which must have no member) on `topic`, as an operator would with Kafka's tools. */
export async function setGroupOffsets(
  group: string,
  topic: string,
  offsets: readonly { partition: number; offset: number }[],
  brokers = testBrokers(),
): Promise<void> {
  const admin = new Kafka({ clientId: "test-admin", brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.setOffsets({
      groupId: group,
      topic,
      partitions: offsets.map((o) => ({ partition: o.partition, offset: String(o.offset) })),
    });
  } finally {
    await admin.disconnect();
  }
}

/** The committed offsets of `group` on `topic`, by partition (-1: none). */
export async function groupOffsets(group: string, topic: string, brokers = testBrokers()): Promise<Map<number, number>> {
  const admin = new Kafka({ clientId: "test-admin", brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const [found] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return new Map((found?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}
