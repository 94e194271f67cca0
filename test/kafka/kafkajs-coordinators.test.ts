import { logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { CoordinatorCachingKafka } from "../../packages/kafka/src/kafkajs-coordinators.js";
import { consumeAll, createTopic, testBrokers, unique } from "./kafka.js";

describe("CoordinatorCachingKafka (kafkajs producers that find their coordinators once)", () => {
  it("commits transactions back to back, records and offsets sent at once, each looking its coordinators up once", async () => {
    const topic = unique("coordinators");
    const progress = unique("coordinators-progress");
    await createTopic(topic, 4);
    await createTopic(progress, 1);
    const kafka = new CoordinatorCachingKafka({ clientId: "test", brokers: [testBrokers()], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ transactionalId: unique("txn"), idempotent: true, allowAutoTopicCreation: false });
    const requests = new Map<string, number>();
    producer.on(producer.events.REQUEST, ({ payload }) => requests.set(payload.apiName, (requests.get(payload.apiName) ?? 0) + 1));
    await producer.connect();
    const group = unique("group");
    try {
      // Each transaction begins right after the commit before it: its first AddPartitionsToTxn
      // usually finds the previous one still writing its markers (CONCURRENT_TRANSACTIONS).
      for (let t = 0; t < 10; t++) {
        const transaction = await producer.transaction();
        const messages = Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `${t}-${i}` }));
        await Promise.all([
          transaction.send({ topic, messages }),
          transaction.sendOffsets({
            consumerGroupId: group,
            topics: [{ topic: progress, partitions: [{ partition: 0, offset: String(t + 1) }] }],
          }),
        ]);
        await transaction.commit();
      }
    } finally {
      await producer.disconnect();
    }
    // One lookup of the transaction coordinator and one of the group's (kafkajs asks before each request: 40 here).
    expect(requests.get("GroupCoordinator")).toBe(2);
    expect(requests.get("EndTxn")).toBe(10);
    const records = await consumeAll(topic, { until: (r) => r.length >= 200 });
    expect(records.length).toBe(200);
    expect(new Set(records).size).toBe(200);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [progress] });
      expect(offsets?.partitions[0]?.offset).toBe("10");
    } finally {
      await admin.disconnect();
    }
  });
});
