/**
 * An ingress naming a topic that does not exist: the worker starts, `/readyz` answers 503 and
 * names the ingress and the missing topic, the ingress never creates it (the test broker would
 * create topics on request: Kafka's `auto.create.topics.enable` defaults to true), and once the
 * topic is created the ingress subscribes and records flow. (StateFun fails the job instead:
 * Flink's Kafka consumer throws "Could not fetch partitions for {topic}. Make sure that the topic
 * exists." and the job restarts as its restart strategy says.) The other topics of the same ingress
 * are consumed meanwhile.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunningServer } from "@statefun-ts/server";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, describe, expect, it } from "vitest";
import { counterIngress, countOf, startCounterWorker, until, untilReady } from "./counter-worker.js";
import { createTopic, produce, testBrokers, unique } from "./kafka.js";

const dir = mkdtempSync(join(tmpdir(), "statefun-kafka-unknown-"));
let server: RunningServer | undefined;
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function topics(): Promise<string[]> {
  const admin = new Kafka({ clientId: "test-admin", brokers: [testBrokers()], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

describe("Kafka ingress of a topic that does not exist", () => {
  it("starts, says which topic is missing, creates nothing, and consumes once the topic is created", async () => {
    const topic = unique("later");
    const output = unique("out");
    await createTopic(output, 1);
    server = await startCounterWorker({
      dataDir: join(dir, "data"),
      ingresses: [counterIngress({ id: "later", topic, group: unique("g"), extra: "  startupPosition:\n    type: earliest\n" })],
    });
    const s = server;
    const readyz = async () => {
      const response = await fetch(`http://127.0.0.1:${s.ports.admin}/readyz`);
      return { status: response.status, body: (await response.json()) as { status: string; problems?: string[] } };
    };
    const missing = `Kafka ingress kafka-test/later: topic ${topic} does not exist on the broker at ${testBrokers()} (the ingress waits for it; it never creates topics)`;
    // Until the egress is connected too (on a busy machine it may still be connecting when the ingress finds its topic missing).
    const waiting = await until(
      "/readyz naming the missing topic, and nothing else",
      readyz,
      (r) => r.body.problems?.includes(missing) === true && r.body.problems.length === 1,
    );
    expect(waiting).toEqual({ status: 503, body: { status: "not ready", problems: [missing] } });
    // The ingress asked the broker about the topic without creating it.
    expect(await topics()).not.toContain(topic);

    await createTopic(topic, 2);
    await produce(
      topic,
      Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 2}`, value: output })),
    );
    await untilReady(s);
    await until(
      "the 20 records counted",
      async () => (await countOf(s, "k0")) + (await countOf(s, "k1")),
      (n) => n === 20,
    );
    expect([await countOf(s, "k0"), await countOf(s, "k1")]).toEqual([10, 10]);
  }, 120_000);

  it("with two topics, one missing: consumes the existing one at once and the missing one once it is created", async () => {
    await server?.close();
    server = undefined;
    const present = unique("present");
    const later = unique("later");
    const output = unique("out");
    await createTopic(output, 1);
    await createTopic(present, 2);
    const secondTopic = `    - topic: ${later}
      valueType: kafka-test/text
      targets:
        - kafka-test/counter
  startupPosition:
    type: earliest
`;
    server = await startCounterWorker({
      dataDir: join(dir, "two-topics"),
      ingresses: [counterIngress({ id: "two", topic: present, group: unique("g"), extra: secondTopic })],
    });
    const s = server;
    const readyz = async () => (await (await fetch(`http://127.0.0.1:${s.ports.admin}/readyz`)).json()) as { problems?: string[] };
    const missing = `Kafka ingress kafka-test/two: topic ${later} does not exist on the broker at ${testBrokers()} (the ingress waits for it; it never creates topics)`;

    // The existing topic's records flow while the other topic is missing (and /readyz names it).
    await produce(
      present,
      Array.from({ length: 10 }, (_, i) => ({ key: `p${i % 2}`, value: output })),
    );
    await until(
      "the 10 records of the existing topic counted",
      async () => (await countOf(s, "p0")) + (await countOf(s, "p1")),
      (n) => n === 10,
      30_000,
    );
    expect((await readyz()).problems).toEqual([missing]);
    expect(await topics()).not.toContain(later);

    // Once created, the missing topic is consumed too, and the existing one goes on from where it was.
    await createTopic(later, 2);
    await produce(
      later,
      Array.from({ length: 10 }, (_, i) => ({ key: `l${i % 2}`, value: output })),
    );
    await produce(
      present,
      Array.from({ length: 4 }, (_, i) => ({ key: `p${i % 2}`, value: output })),
    );
    await untilReady(s);
    await until(
      "the records of both topics counted",
      async () => [await countOf(s, "p0"), await countOf(s, "p1"), await countOf(s, "l0"), await countOf(s, "l1")],
      (n) => n.join() === "7,7,5,5",
    );
  }, 120_000);
});
