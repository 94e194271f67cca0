import {
  type Admin,
  type Kafka,
  type KafkaConfig,
  type KafkaMessage,
  type Consumer as KjsConsumer,
  type Producer as KjsProducer,
  logLevel,
} from "kafkajs";
import type {
  ConsumedBatch,
  ConsumedRecord,
  ConsumerHandlers,
  ConsumerOptions,
  KafkaAdmin,
  KafkaClientFactory,
  KafkaConsumer,
  KafkaProducer,
  KafkaTransaction,
  ProducedRecord,
  ProducerOptions,
} from "./client.js";
import { FastCodecKafka } from "./kafkajs-codecs.js";
import { CoordinatorCachingKafka } from "./kafkajs-coordinators.js";
import { linearGrouping } from "./linear-grouping.js";
import { defaultPartitioner } from "./partitioner.js";

const buffer = (value: Uint8Array | null): Buffer | null =>
  value === null || Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
/**
 * kafkajs messages: a record whose key and value are Buffers already is one (no copy, no new
 * object); grouped by partition in linear time (see linear-grouping.ts).
 */
const messages = (records: readonly ProducedRecord[]) =>
  linearGrouping(
    records.map((r) =>
      Buffer.isBuffer(r.value) && (r.key === null || Buffer.isBuffer(r.key)) ? r : { key: buffer(r.key), value: buffer(r.value) },
    ) as {
      key: Buffer | null;
      value: Buffer | null;
    }[],
  );

/** Groups records by topic, keeping their order, for one `sendBatch`. */
function topicMessages(records: readonly ProducedRecord[]) {
  const topic = records[0]?.topic;
  if (records.every((r) => r.topic === topic)) return [{ topic: topic!, messages: messages(records) }];
  const byTopic = new Map<string, ProducedRecord[]>();
  for (const r of records) {
    const list = byTopic.get(r.topic);
    if (list) list.push(r);
    else byTopic.set(r.topic, [r]);
  }
  return [...byTopic].map(([topic, list]) => ({ topic, messages: messages(list) }));
}

/**
 * Kafka properties this client understands: `client.id`, `request.timeout.ms`, `session.timeout.ms`,
 * and the consumer's `fetch.max.wait.ms`, `fetch.min.bytes`, `fetch.max.bytes`,
 * `max.partition.fetch.bytes`. Others are ignored.
 */
function num(properties: ReadonlyMap<string, string> | undefined, name: string): number | undefined {
  const value = properties?.get(name);
  return value === undefined ? undefined : Number(value);
}

/**
 * The consumer's fetch sizes and wait, from the Kafka properties of the same names. The wait defaults
 * to Kafka's 500 ms (kafkajs' is 5 s): a consumer stops only once its fetch under way returns.
 */
function fetchOptions(properties: ReadonlyMap<string, string> | undefined) {
  return {
    maxWaitTimeInMs: num(properties, "fetch.max.wait.ms") ?? 500,
    minBytes: num(properties, "fetch.min.bytes"),
    maxBytes: num(properties, "fetch.max.bytes"),
    maxBytesPerPartition: num(properties, "max.partition.fetch.bytes"),
  };
}

/**
 * The kafkajs implementation of `KafkaClient`. kafkajs registers a transactional id with the
 * broker only at the first transaction: `producer.connect()` here begins and aborts one at once,
 * so a new incarnation fences its zombie before it sends anything.
 */
export const kafkajsClient: KafkaClientFactory = ({ brokers, clientId, properties }) => {
  const config: KafkaConfig = {
    clientId,
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    requestTimeout: num(properties, "request.timeout.ms") ?? 30_000,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 2_000 },
  };
  // Fetch responses decoded by fetch-decoding.ts (kafkajs-codecs.ts).
  const kafka = new FastCodecKafka(config);
  // Producers only: a consumer keeps its group coordinator itself, and looks it up again when it moves.
  const producing = new CoordinatorCachingKafka(config);
  return {
    consumer: (options) =>
      consumer(
        kafka.consumer({
          groupId: options.groupId,
          readUncommitted: options.readCommitted === false,
          sessionTimeout: num(properties, "session.timeout.ms") ?? 10_000,
          ...fetchOptions(properties),
          heartbeatInterval: 1_000,
          rebalanceTimeout: 10_000,
          allowAutoTopicCreation: false,
          retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 2_000 },
        }),
        options,
      ),
    producer: (options) => producer(producing, options),
    admin: async () => {
      const admin = kafka.admin();
      await admin.connect();
      return adminOf(admin);
    },
  };
};

function consumer(c: KjsConsumer, options: ConsumerOptions): KafkaConsumer {
  return {
    async run(topics, handlers: ConsumerHandlers) {
      // The seeks of the last assignment: batches wait for them. kafkajs emits GROUP_JOIN before
      // the first fetch of a generation, and a broker's fetcher fetches again only once the
      // batches of its last fetch are handled, so a seek made while a batch waits here is still
      // pending when it ends: `isStale()` tells that batch (fetched from the group's committed
      // offset) to be dropped, and the next fetch starts at the seek.
      let positioned: Promise<void> = Promise.resolve();
      c.on(c.events.GROUP_JOIN, (event) => {
        const assignment = new Map<string, number[]>(Object.entries(event.payload.memberAssignment));
        positioned = Promise.resolve()
          .then(() => handlers.assigned(assignment))
          .catch(() => {});
      });
      await c.connect();
      await c.subscribe({ topics: [...topics], fromBeginning: options.fromBeginning });
      await c.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 16,
        eachBatch: async ({ batch, isStale, heartbeat, resolveOffset }) => {
          await positioned;
          if (isStale()) return;
          const consumed: ConsumedBatch = {
            topic: batch.topic,
            partition: batch.partition,
            fetchedOffset: Number((batch as unknown as { fetchedOffset: string }).fetchedOffset),
            records: consumedRecords(batch.messages),
            stale: isStale,
            resolve: (offset) => resolveOffset(String(offset)),
            heartbeat,
          };
          await handlers.batch(consumed);
        },
      });
    },
    seek: (topic, partition, offset) => c.seek({ topic, partition, offset: String(offset) }),
    commitOffset: (topic, partition, offset) => c.commitOffsets([{ topic, partition, offset: String(offset) }]),
    stop: () => c.disconnect(),
  };
}

/**
 * The records of a fetched batch, one small object each: keys and values stay the Buffers kafkajs
 * decoded (a Buffer is a Uint8Array; a view of each would be two more allocations per record).
 */
function consumedRecords(messages: readonly KafkaMessage[]): ConsumedRecord[] {
  const records = new Array<ConsumedRecord>(messages.length);
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    records[i] = { offset: Number(m.offset), key: m.key, value: m.value };
  }
  return records;
}

function producer(kafka: Kafka, options: ProducerOptions): KafkaProducer {
  const transactional = options.transactionalId !== undefined;
  const p: KjsProducer = kafka.producer({
    transactionalId: options.transactionalId,
    transactionTimeout: options.transactionTimeoutMs,
    idempotent: transactional || options.idempotent === true,
    // One produce request at a time (kafkajs' idempotent producer holds a lock per broker anyway);
    // a transaction's position (AddOffsetsToTxn, TxnOffsetCommit) goes out beside its records.
    maxInFlightRequests: !transactional && options.idempotent ? 1 : undefined,
    // As StateFun's (Java) producer: a topic the broker does not have is created on first use when
    // the broker allows it (`auto.create.topics.enable`, Kafka's default); else sends wait for it.
    allowAutoTopicCreation: true,
    // kafkajs' default partitioning, without its per-record allocations (partitioner.ts).
    createPartitioner: defaultPartitioner,
    // Retries from 20 ms, as the Java client, not the client's 100 ms. (A transaction's first
    // request refused with CONCURRENT_TRANSACTIONS, the previous one still writing its markers, is
    // asked again every 5 ms before kafkajs sees it: kafkajs-coordinators.ts.)
    retry: { retries: 8, initialRetryTime: 20, maxRetryTime: 2_000 },
  });
  return {
    async connect() {
      await p.connect();
      if (transactional) await (await p.transaction()).abort();
    },
    async send(records, acks) {
      if (records.length > 0) await p.sendBatch({ topicMessages: topicMessages(records), acks });
    },
    async transaction(): Promise<KafkaTransaction> {
      const t = await p.transaction();
      return {
        async send(records) {
          if (records.length > 0) await t.sendBatch({ topicMessages: topicMessages(records) });
        },
        sendOffset: (groupId, topic, partition, offset) =>
          t.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition, offset: String(offset) }] }] }),
        commit: () => t.commit(),
        abort: () => t.abort(),
      };
    },
    disconnect: () => p.disconnect(),
  };
}

function adminOf(admin: Admin): KafkaAdmin {
  return {
    async createTopics(topics) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: topics.map((t) => ({
          topic: t.topic,
          numPartitions: t.partitions ?? 1,
          configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
    },
    async offsets(topic) {
      const found = await admin.fetchTopicOffsets(topic);
      return found
        .map((p) => ({ partition: p.partition, low: Number(p.low), high: Number(p.high) }))
        .sort((a, b) => a.partition - b.partition);
    },
    async offsetsAt(topic, timestamp) {
      const found = await admin.fetchTopicOffsetsByTimestamp(topic, timestamp);
      return new Map(found.map((p) => [p.partition, Number(p.offset)]));
    },
    listTopics: () => admin.listTopics(),
    async groupOffsets(groupId, topic) {
      const [found] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const offsets = new Map<number, number>();
      for (const p of found?.partitions ?? []) if (Number(p.offset) >= 0) offsets.set(p.partition, Number(p.offset));
      return offsets;
    },
    close: () => admin.disconnect(),
  };
}
