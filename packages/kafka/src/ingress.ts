import type { Logger, SourceSink } from "@statefun-ts/runtime";
import type { ConsumedBatch, KafkaAdmin, KafkaClient, KafkaConsumer } from "./client.js";
import { LagOffsets } from "./lag-offsets.js";
import { type KafkaRouter, keyRouter, recordsToMessages } from "./records.js";
import type { KafkaIngressSpec } from "./spec.js";

interface PartitionState {
  /** The stored position (what the next advance is conditional on). */
  pos: number;
  /** A seek to `pos` was asked for since the state was loaded. */
  sought: boolean;
}

export interface KafkaIngressOptions {
  readonly spec: KafkaIngressSpec;
  readonly client: KafkaClient;
  readonly sink: SourceSink;
  readonly logger: Logger;
  /**
   * Seek every assigned partition to its stored position at assignment, before any batch (tests
   * only for now: with kafkajs this raced its first fetch; by default a partition's position is
   * checked against the first batch fetched from it).
   */
  readonly seekOnAssignment?: boolean | undefined;
  /** Routers by topic, replacing StateFun's key routing (embedded modules). */
  readonly routers?: ReadonlyMap<string, KafkaRouter> | undefined;
}

/** Why an ingress is not ready, or undefined when it is. */
export type IngressProblem = string | undefined;

/**
 * A Kafka ingress: consumes its topics in its consumer group and turns each record into one
 * message per target, exactly once. The position of each partition lives in the store, advanced
 * in the commit of the messages it produced and only from the position the records were read at
 * (`SourceSink`); on start and after every assignment a partition's position is read from the
 * store and the consumer seeks there. Kafka's committed offsets follow (for lag tools), never led.
 */
export class KafkaIngress {
  readonly source: string;
  private consumer: KafkaConsumer | undefined;
  private readonly states = new Map<string, Promise<PartitionState>>();
  private readonly routers = new Map<string, KafkaRouter>();
  private stopped = false;
  private joined = false;
  private problem: string | undefined = "connecting to the broker";
  private retry: NodeJS.Timeout | undefined;
  private lagOffsets: LagOffsets | undefined;

  constructor(private readonly options: KafkaIngressOptions) {
    this.source = `kafka:${options.spec.id}`;
    for (const topic of options.spec.topics) this.routers.set(topic.topic, options.routers?.get(topic.topic) ?? keyRouter(topic));
  }

  get id(): string {
    return this.options.spec.id;
  }

  /** Undefined once the consumer joined its group; otherwise what it is waiting for. */
  get notReady(): IngressProblem {
    return this.joined ? undefined : this.problem;
  }

  /** Starts consuming in the background; a broker that cannot be reached is retried until `stop`. */
  start(): void {
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.lagOffsets?.flush();
    await this.consumer?.stop().catch(() => {});
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const { spec, client, logger } = this.options;
    const fromBeginning = spec.autoOffsetResetPosition === "earliest" || spec.startupPosition.type === "earliest";
    const consumer = client.consumer({ groupId: spec.consumerGroupId, fromBeginning });
    this.consumer = consumer;
    this.lagOffsets = new LagOffsets(consumer);
    try {
      await consumer.run(
        spec.topics.map((t) => t.topic),
        {
          assigned: (assignment) => {
            // Another member may have advanced any partition: read every position again from the store.
            this.states.clear();
            this.joined = true;
            logger.info({ ingress: spec.id, assignment: Object.fromEntries(assignment) }, "Kafka ingress assigned");
            if (this.options.seekOnAssignment) {
              for (const [topic, partitions] of assignment) for (const partition of partitions) this.seekStored(consumer, topic, partition);
            }
          },
          batch: (batch) => this.handle(consumer, batch),
        },
      );
    } catch (error) {
      this.problem = `cannot reach the Kafka broker at ${spec.address}: ${(error as Error).message}`;
      logger.warn({ ingress: spec.id, error: String(error) }, "Kafka ingress: connecting failed, retrying");
      await consumer.stop().catch(() => {});
      if (!this.stopped) this.retry = setTimeout(() => void this.connect(), 1_000);
    }
  }

  private async handle(consumer: KafkaConsumer, batch: ConsumedBatch): Promise<void> {
    if (this.stopped || batch.stale()) return;
    const { topic, partition } = batch;
    const key = `${topic}/${partition}`;
    let loading = this.states.get(key);
    if (loading === undefined) {
      loading = this.load(topic, partition);
      this.states.set(key, loading);
      loading.catch(() => this.states.delete(key));
    }
    const state = await loading;
    if (batch.fetchedOffset > state.pos && !state.sought) {
      // Fetched from past the stored position (Kafka's offsets ahead of the store): go back.
      state.sought = true;
      consumer.seek(topic, partition, state.pos);
      return;
    }
    if (this.options.sink.overloaded()) {
      this.pauseWhileOverloaded(consumer, batch, state.pos);
      return;
    }
    const records = batch.records.filter((r) => r.offset >= state.pos);
    const last = batch.records.at(-1);
    if (records.length === 0) {
      if (last !== undefined) batch.resolve(last.offset);
      return;
    }
    const to = records.at(-1)!.offset + 1;
    const route = this.routers.get(topic)!;
    const deadTarget = this.deadTarget(topic);
    const parts = recordsToMessages(records, { ingress: this.options.spec.id, topic, partition, deadTarget }, route);
    const from = state.pos;
    state.pos = to;
    let result: "committed" | "rejected";
    try {
      result = await this.options.sink.advance({ source: this.source, partition: key, from, to, ...parts });
    } catch (error) {
      if (this.states.get(key) === loading) this.states.delete(key);
      throw error;
    }
    if (result === "rejected") {
      // Another consumer of this partition committed first (a rebalance): re-read the position and seek there.
      if (this.states.get(key) === loading) this.states.delete(key);
      this.options.logger.info(
        { ingress: this.options.spec.id, partition: key },
        "Kafka ingress: position moved by another worker; seeking",
      );
      const reloaded = this.load(topic, partition);
      this.states.set(key, reloaded);
      const fresh = await reloaded;
      fresh.sought = true;
      consumer.seek(topic, partition, fresh.pos);
      return;
    }
    batch.resolve(to - 1);
    this.lagOffsets?.note(topic, partition, to);
  }

  /** Loads a partition's position (storing the startup position when there is none) and seeks there. */
  private seekStored(consumer: KafkaConsumer, topic: string, partition: number): void {
    const key = `${topic}/${partition}`;
    const loading = this.load(topic, partition);
    this.states.set(key, loading);
    loading.then(
      (state) => {
        if (this.stopped || this.states.get(key) !== loading) return;
        state.sought = true;
        consumer.seek(topic, partition, state.pos);
      },
      (error: unknown) => {
        if (this.states.get(key) === loading) this.states.delete(key);
        this.options.logger.warn(
          { ingress: this.options.spec.id, partition: key, error: String(error) },
          "Kafka ingress: reading the position failed",
        );
      },
    );
  }

  private pauseWhileOverloaded(consumer: KafkaConsumer, batch: ConsumedBatch, pos: number): void {
    const resume = batch.pause();
    consumer.seek(batch.topic, batch.partition, pos);
    const check = () => {
      if (this.stopped) return;
      if (this.options.sink.overloaded()) this.retry = setTimeout(check, 100);
      else resume();
    };
    this.retry = setTimeout(check, 100);
  }

  /** The stored position of a partition; with none, where `startupPosition` says, stored at once (so a restart starts there too). */
  private async load(topic: string, partition: number): Promise<PartitionState> {
    const key = `${topic}/${partition}`;
    for (;;) {
      const stored = (await this.options.sink.positions(this.source)).get(key);
      if (stored !== undefined) return { pos: stored, sought: false };
      const start = await this.startOffset(topic, partition);
      const result = await this.options.sink.advance({
        source: this.source,
        partition: key,
        from: null,
        to: start,
        messages: [],
        deadLetters: [],
      });
      if (result === "committed") return { pos: start, sought: false };
    }
  }

  private async startOffset(topic: string, partition: number): Promise<number> {
    const { spec, client } = this.options;
    const admin: KafkaAdmin = await client.admin();
    try {
      const offsets = (await admin.offsets(topic)).find((p) => p.partition === partition);
      const low = offsets?.low ?? 0;
      const high = offsets?.high ?? 0;
      const reset = spec.autoOffsetResetPosition === "earliest" ? low : high;
      const position = spec.startupPosition;
      switch (position.type) {
        case "earliest":
          return low;
        case "latest":
          return high;
        case "group-offsets":
          return (await admin.groupOffsets(spec.consumerGroupId, topic)).get(partition) ?? reset;
        case "specific-offsets":
          return position.offsets.get(`${topic}/${partition}`) ?? reset;
        case "date": {
          const at = (await admin.offsetsAt(topic, position.date)).get(partition);
          return at === undefined || at < 0 ? high : at;
        }
      }
    } finally {
      await admin.close().catch(() => {});
    }
  }

  /** Dead letters of a topic are filed under its first target (with the record's key as id, "" when none). */
  private deadTarget(topic: string): { namespace: string; type: string; id: string } {
    const first = this.options.spec.topics.find((t) => t.topic === topic)?.targets[0] ?? "statefun.kafka/unrouted";
    const slash = first.lastIndexOf("/");
    return { namespace: first.slice(0, slash), type: first.slice(slash + 1), id: "" };
  }
}
