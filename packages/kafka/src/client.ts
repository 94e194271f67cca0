/**
 * The small Kafka client interface the connector is written against. `kafkajs.ts` implements it
 * with kafkajs; another client (see the package README) only has to implement this file's types.
 */

/** A consumed record (control records and aborted transactions' records are never handed out). */
export interface ConsumedRecord {
  readonly offset: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
}

/** Records of one partition, as fetched from `fetchedOffset`. */
export interface ConsumedBatch {
  readonly topic: string;
  readonly partition: number;
  readonly fetchedOffset: number;
  readonly records: readonly ConsumedRecord[];
  /** True when a seek of this partition is pending: the batch is from before it and must be dropped. */
  stale(): boolean;
  /** Marks the records up to `offset` (included) as handled: fetching goes on after it. */
  resolve(offset: number): void;
  /**
   * Keeps this member in its group while the batch is held (the runtime overloaded): the client
   * fetches nothing more from the batch's broker until the batch is handled. Cheap to call often
   * (it talks to the broker at most once per heartbeat interval); rejects when the group
   * rebalances, and that rejection is to be thrown out of the batch handler.
   */
  heartbeat(): Promise<void>;
}

export interface ConsumerHandlers {
  /**
   * After every (re)join of the group: what this member was assigned, by topic. No batch is
   * handed out until the returned promise settles, and one fetched before a `seek` made in it is
   * dropped: a partition's first batch starts where it was sought (never at the group's
   * committed offset), even for a partition that gets no record for a while.
   */
  readonly assigned: (assignment: ReadonlyMap<string, readonly number[]>) => Promise<void> | void;
  /** Handles one batch; the next batch of the same partition waits for it. */
  readonly batch: (batch: ConsumedBatch) => Promise<void>;
}

export interface KafkaConsumer {
  /** Subscribes and starts fetching; resolves once running (the broker reachable and the group joined at least once is not required). */
  run(topics: readonly string[], handlers: ConsumerHandlers): Promise<void>;
  /** Fetches `partition` from `offset` next. */
  seek(topic: string, partition: number, offset: number): void;
  /** Records `offset` as the group's committed offset (for lag tools; never read back as truth). */
  commitOffset(topic: string, partition: number, offset: number): Promise<void>;
  stop(): Promise<void>;
}

/** A record to produce. */
export interface ProducedRecord {
  readonly topic: string;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array;
}

export interface KafkaTransaction {
  send(records: readonly ProducedRecord[]): Promise<void>;
  /** Commits `offset` for `groupId` on `topic`/`partition` inside the transaction (read back with `KafkaAdmin.groupOffsets`). */
  sendOffset(groupId: string, topic: string, partition: number, offset: number): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export interface KafkaProducer {
  connect(): Promise<void>;
  /** Sends and waits for the acknowledgement `acks` asks for (`-1`: all in-sync replicas, `0`: none). */
  send(records: readonly ProducedRecord[], acks: -1 | 0 | 1): Promise<void>;
  /** Begins a transaction (transactional producers only). */
  transaction(): Promise<KafkaTransaction>;
  disconnect(): Promise<void>;
}

export interface PartitionOffsets {
  readonly partition: number;
  readonly low: number;
  readonly high: number;
}

export interface KafkaAdmin {
  /** Creates the topics that do not exist yet. */
  createTopics(topics: readonly { topic: string; partitions?: number; config?: Record<string, string> }[]): Promise<void>;
  /** The partitions of a topic with their first and next offsets; throws when the topic does not exist. */
  offsets(topic: string): Promise<PartitionOffsets[]>;
  /** The first offset at or after `timestamp` (epoch ms) of each partition (the end when none). */
  offsetsAt(topic: string, timestamp: number): Promise<Map<number, number>>;
  /** The names of the topics that exist. */
  listTopics(): Promise<string[]>;
  /** The group's committed offsets of a topic, by partition (absent: none). */
  groupOffsets(groupId: string, topic: string): Promise<Map<number, number>>;
  close(): Promise<void>;
}

export interface ProducerOptions {
  /** Transactional producer (exactly-once): its id, fencing every earlier producer with the same id. */
  readonly transactionalId?: string | undefined;
  readonly transactionTimeoutMs?: number | undefined;
  /** Idempotent producer (no duplicates from its own retries); implied by `transactionalId`. */
  readonly idempotent?: boolean | undefined;
}

export interface ConsumerOptions {
  readonly groupId: string;
  /** Where a partition starts when the group has no committed offset. */
  readonly fromBeginning: boolean;
  /** Read only committed records of transactional producers (default true). A consumer never creates topics. */
  readonly readCommitted?: boolean | undefined;
}

/** A connection to one Kafka cluster. */
export interface KafkaClient {
  consumer(options: ConsumerOptions): KafkaConsumer;
  producer(options: ProducerOptions): KafkaProducer;
  admin(): Promise<KafkaAdmin>;
}

/** Creates a client for `brokers` (`host:port` list); `properties` are Kafka client properties (a few are understood). */
export type KafkaClientFactory = (options: {
  brokers: readonly string[];
  clientId: string;
  properties?: ReadonlyMap<string, string>;
}) => KafkaClient;
