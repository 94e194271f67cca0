import { randomUUID } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import { inject } from "vitest";

/**
 * The bootstrap address of the test run's broker (test/setup/kafka.ts). Throws, failing the test,
 * when there is none: the Kafka suites never skip.
 */
export function testBrokers(): string {
  const brokers = inject("kafkaBrokers");
  if (brokers) return brokers;
  const why = inject("kafkaError") || "test/setup/kafka.ts did not run (is the kafka project in vitest.config.ts?)";
  throw new Error(`no Kafka broker for the tests: ${why}. Install it with: bash scripts/kafka/setup.sh`);
}

/** A name no other test uses. */
export const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

const kafka = (brokers = testBrokers()) => new Kafka({ clientId: "test", brokers: [brokers], logLevel: logLevel.NOTHING });

export async function createTopic(topic: string, partitions = 1, brokers = testBrokers()): Promise<void> {
  const admin = kafka(brokers).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: false });
    // kafkajs' own wait for leaders gives up when the broker does not know the new topic yet
    // ("This server does not host this topic-partition"): ask again until every partition has one.
    for (let attempt = 0; ; attempt++) {
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        const found = topics[0]?.partitions ?? [];
        if (found.length === partitions && found.every((p) => p.leader >= 0)) return;
      } catch (error) {
        if (attempt >= 100) throw error;
      }
      if (attempt >= 100) throw new Error(`topic ${topic}: its ${partitions} partitions have no leader yet`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await admin.disconnect();
  }
}

/** The topics the broker has (listing them creates none). */
export async function listTopics(brokers = testBrokers()): Promise<string[]> {
  const admin = kafka(brokers).admin();
  await admin.connect();
  try {
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

/** Produces records (`key` null for none) and waits for the acks of all replicas. */
export async function produce(
  topic: string,
  records: readonly { key: string | null; value: string | Uint8Array; partition?: number }[],
  brokers = testBrokers(),
): Promise<void> {
  const producer = kafka(brokers).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < records.length; i += 1_000) {
      const messages = records.slice(i, i + 1_000).map((r) => ({
        key: r.key,
        value: typeof r.value === "string" ? r.value : Buffer.from(r.value),
        partition: r.partition,
      }));
      await producer.send({ topic, messages, acks: -1 });
    }
  } finally {
    await producer.disconnect();
  }
}

/**
 * Every record of `topic` from the beginning, as `key=value`, read until `until(records)` holds
 * or `timeoutMs` passed; `readCommitted` (default true) skips aborted and open transactions.
 */
export async function consumeAll(
  topic: string,
  options: { until: (records: string[]) => boolean; timeoutMs?: number; readCommitted?: boolean; brokers?: string },
): Promise<string[]> {
  const consumer = kafka(options.brokers).consumer({ groupId: unique("reader"), readUncommitted: options.readCommitted === false });
  const records: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let done!: () => void;
    const finished = new Promise<void>((resolve) => {
      done = resolve;
    });
    await consumer.run({
      eachMessage: async ({ message }) => {
        records.push(`${message.key?.toString() ?? ""}=${message.value?.toString() ?? ""}`);
        if (options.until(records)) done();
      },
    });
    if (!options.until(records)) {
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, options.timeoutMs ?? 30_000));
      await Promise.race([finished, timeout]);
    }
    // Records that arrive in the meantime are counted too: a duplicate shows.
    await new Promise((resolve) => setTimeout(resolve, 500));
    return [...records];
  } finally {
    await consumer.disconnect();
  }
}
