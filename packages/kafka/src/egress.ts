import { decodeKafkaProducerRecord } from "@statefun-ts/protocol";
import type { EgressRow, Logger } from "@statefun-ts/runtime";
import type { KafkaClient, KafkaProducer, ProducedRecord } from "./client.js";
import type { KafkaEgressSpec } from "./spec.js";

/** The outbox rows a Kafka egress delivers: committed records, oldest first (the store's egress outbox). */
export interface Outbox {
  /** The oldest rows of egresses with no topic (every egress but the playground's), skipping `exclude`. */
  peek(limit: number, exclude: ReadonlySet<number>): Promise<EgressRow[]>;
  delete(ids: readonly number[]): Promise<void>;
  /**
   * A number naming this outbox (its store) for good, the same for every worker of the store: the
   * delivered position in Kafka belongs to one outbox, so the transactional id and the progress
   * group include it (a new store must not inherit an old store's position).
   */
  identity(): Promise<number>;
}

export interface KafkaEgressOptions {
  readonly spec: KafkaEgressSpec;
  readonly client: KafkaClient;
  readonly outbox: Outbox;
  readonly logger: Logger;
}

/**
 * The compacted topic whose consumer-group offsets hold how far each exactly-once egress has
 * delivered its outbox (group `statefun-ts.egress.{id}.{outbox identity}`, partition 0): written
 * inside the Kafka transaction of the records, read back at start.
 */
export const PROGRESS_TOPIC = "statefun-ts.egress-progress";

const BATCH = 2_000;
const IDLE_MS = 5;

/**
 * A Kafka egress: delivers committed outbox records of its egress id to Kafka (records leave only
 * after the commit that produced them). `exactly-once`: each batch in a Kafka transaction that also
 * commits the outbox position reached, so a restart (after any crash) resumes exactly after what a
 * `read_committed` consumer saw; the transactional producer fences its previous incarnation.
 * `at-least-once`: an idempotent producer, acks from all in-sync replicas, rows deleted after the
 * ack. `none`: sent without waiting for any ack, rows deleted at once.
 */
/** An egress as `GET /v1/io` shows it. */
export interface KafkaEgressStatus {
  readonly id: string;
  readonly address: string;
  readonly deliverySemantic: "exactly-once" | "at-least-once" | "none";
  /** Undefined when connected; otherwise what it waits for (as `/readyz` says). */
  readonly problem: string | undefined;
}

export class KafkaEgress {
  private producer: KafkaProducer | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  private problem: string | undefined = "connecting to the broker";
  /** Rows of other egresses seen in the outbox (skipped by this one). */
  private readonly others = new Set<number>();
  /** Exactly-once: every row id below this was delivered in a committed transaction. */
  private delivered = 0;
  private wake: (() => void) | undefined;

  constructor(private readonly options: KafkaEgressOptions) {}

  get id(): string {
    return this.options.spec.id;
  }

  get notReady(): string | undefined {
    return this.problem;
  }

  /** What this egress is (`GET /v1/io`, the console's I/O page). */
  status(): KafkaEgressStatus {
    const { id, address, deliverySemantic } = this.options.spec;
    return { id, address, deliverySemantic: deliverySemantic.type, problem: this.problem };
  }

  start(): void {
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
    await this.producer?.disconnect().catch(() => {});
  }

  private identity = 0;

  private get group(): string {
    return `statefun-ts.egress.${this.options.spec.id}.${this.identity}`;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (this.producer === undefined) await this.connect();
        const sent = await this.deliverOnce(this.producer!);
        this.problem = undefined;
        if (sent === 0) await this.sleep(IDLE_MS);
      } catch (error) {
        if (this.stopped) return;
        this.problem = `Kafka egress ${this.options.spec.id}: ${(error as Error).message}`;
        this.options.logger.warn({ egress: this.options.spec.id, error: String(error) }, "Kafka egress: delivery failed, retrying");
        await this.producer?.disconnect().catch(() => {});
        this.producer = undefined;
        await this.sleep(1_000);
      }
    }
  }

  private async connect(): Promise<void> {
    const { spec, client } = this.options;
    const semantic = spec.deliverySemantic;
    const exactlyOnce = semantic.type === "exactly-once";
    if (exactlyOnce) {
      this.identity = await this.options.outbox.identity();
      const admin = await client.admin();
      try {
        await admin.createTopics([{ topic: PROGRESS_TOPIC, partitions: 1, config: { "cleanup.policy": "compact" } }]);
      } finally {
        await admin.close().catch(() => {});
      }
    }
    const producer = client.producer(
      exactlyOnce
        ? {
            transactionalId: spec.properties.get("transactional.id") ?? this.group,
            transactionTimeoutMs: semantic.transactionTimeoutMs,
          }
        : { idempotent: semantic.type === "at-least-once" },
    );
    // A transactional producer fences its previous incarnation here (see kafkajs.ts).
    await producer.connect();
    if (exactlyOnce) {
      const admin = await client.admin();
      try {
        this.delivered = (await admin.groupOffsets(this.group, PROGRESS_TOPIC)).get(0) ?? 0;
      } finally {
        await admin.close().catch(() => {});
      }
    }
    this.producer = producer;
  }

  /** Delivers one batch of this egress's rows; returns how many rows it handled. */
  private async deliverOnce(producer: KafkaProducer): Promise<number> {
    const { spec, outbox, logger } = this.options;
    const peeked = await outbox.peek(BATCH, this.others);
    const rows: EgressRow[] = [];
    for (const row of peeked) {
      if (row.egress === spec.id) rows.push(row);
      else this.others.add(row.id);
    }
    if (rows.length === 0) return 0;
    const semantic = spec.deliverySemantic.type;
    // Exactly-once: rows below `delivered` went out in a committed transaction before a crash; they only need deleting.
    const fresh = semantic === "exactly-once" ? rows.filter((r) => r.id >= this.delivered) : rows;
    const records: ProducedRecord[] = [];
    for (const row of fresh) {
      try {
        const record = decodeKafkaProducerRecord(row.argument);
        records.push({ topic: record.topic, key: record.key === "" ? null : new TextEncoder().encode(record.key), value: record.value });
      } catch (error) {
        logger.error(
          { egress: spec.id, record: row.id, error: String(error) },
          "Kafka egress: dropping a record that is not a KafkaProducerRecord",
        );
      }
    }
    if (semantic === "exactly-once" && fresh.length > 0) {
      const next = fresh.at(-1)!.id + 1;
      const transaction = await producer.transaction();
      try {
        await transaction.send(records);
        await transaction.sendOffset(this.group, PROGRESS_TOPIC, 0, next);
        await transaction.commit();
      } catch (error) {
        await transaction.abort().catch(() => {});
        throw error;
      }
      this.delivered = next;
    } else if (records.length > 0) {
      await producer.send(records, semantic === "none" ? 0 : -1);
    }
    await outbox.delete(rows.map((r) => r.id));
    return rows.length;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
