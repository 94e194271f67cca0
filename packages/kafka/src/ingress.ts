import type { Logger, SourceSink } from "@statefun-ts/runtime";
import type { ConsumedBatch, KafkaAdmin, KafkaClient, KafkaConsumer } from "./client.js";
import { LagOffsets } from "./lag-offsets.js";
import { type KafkaRouter, keyRouter, recordsToMessages } from "./records.js";
import type { KafkaIngressSpec } from "./spec.js";

/**
 * Advances of one partition committing at once, at most: a batch is handed to the runtime and the
 * next one fetched without waiting for its commit, up to this many.
 */
const ADVANCES_IN_FLIGHT = 4;
/** Records of one advance at most (a longer batch goes as several, see `handle`). */
const ADVANCE_RECORDS = 500;
/** How often a batch held for overload checks whether the runtime takes work again. */
const HOLD_CHECK_MS = 10;

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
  /** How often a missing topic or an unreachable broker is tried again (default 1 s). */
  readonly retryMs?: number | undefined;
  /** Routers by topic, replacing StateFun's key routing (embedded modules). */
  readonly routers?: ReadonlyMap<string, KafkaRouter> | undefined;
}

/** Why an ingress is not ready, or undefined when it is. */
export type IngressProblem = string | undefined;

/** What an ingress is doing (`GET /v1/io`, the console's I/O page). */
export interface KafkaIngressStatus {
  readonly id: string;
  readonly address: string;
  readonly consumerGroupId: string;
  readonly topics: readonly string[];
  /** Undefined when ready; otherwise what it waits for (as `/readyz` says). */
  readonly problem: string | undefined;
  /** The topics of the spec the broker did not have at the last look (consumed once they exist). */
  readonly missing: readonly string[];
  /** The partitions this worker was assigned at the last join, `topic/partition`. */
  readonly assigned: readonly string[];
  /** The partitions paused now because the runtime is overloaded (a batch of each held, nothing more fetched). */
  readonly paused: readonly string[];
  /** How many times a partition was paused for overload since the ingress started. */
  readonly pauses: number;
}

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
  /** Assignments whose positions are being read and sought (the partitions are held meanwhile). */
  private positioning = 0;
  private problem: string | undefined = "connecting to the broker";
  /** The topics of the spec the broker did not have at the last look (the others are consumed meanwhile). */
  private missing: string[] = [];
  /**
   * The missing topics as last logged: a topic is logged once when it goes missing and once when
   * it exists again, not at every look (one a second), nor again after a look the broker could
   * not answer.
   */
  private loggedMissing: string[] = [];
  private retry: NodeJS.Timeout | undefined;
  private lagOffsets: LagOffsets | undefined;
  private assignment: string[] = [];
  private readonly paused = new Set<string>();
  private pauses = 0;
  /** Advances handed to the runtime and not settled yet, and those of each partition in order. */
  private readonly advancing = new Set<Promise<void>>();
  private readonly inFlight = new Map<string, Promise<void>[]>();
  /** Wakes the batches held for overload (at stop). */
  private readonly wakers = new Set<() => void>();

  constructor(private readonly options: KafkaIngressOptions) {
    this.source = `kafka:${options.spec.id}`;
    for (const topic of options.spec.topics) this.routers.set(topic.topic, options.routers?.get(topic.topic) ?? keyRouter(topic));
  }

  get id(): string {
    return this.options.spec.id;
  }

  /** Undefined once the consumer joined its group and sought its partitions to their stored positions; otherwise what it waits for. */
  get notReady(): IngressProblem {
    const missing = this.missing;
    if (missing.length > 0) {
      const many = missing.length > 1;
      return `topic${many ? "s" : ""} ${missing.join(", ")} ${many ? "do" : "does"} not exist on the broker at ${this.options.spec.address} (the ingress waits for ${many ? "them" : "it"}; it never creates topics)`;
    }
    if (!this.joined) return this.problem;
    return this.positioning > 0 ? "reading the stored positions of its assigned partitions" : undefined;
  }

  status(): KafkaIngressStatus {
    const { spec } = this.options;
    return {
      id: spec.id,
      address: spec.address,
      consumerGroupId: spec.consumerGroupId,
      topics: spec.topics.map((t) => t.topic),
      problem: this.notReady,
      missing: [...this.missing],
      assigned: [...this.assignment],
      paused: [...this.paused].sort(),
      pauses: this.pauses,
    };
  }

  /** Starts consuming in the background; a broker that cannot be reached is retried until `stop`. */
  start(): void {
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    for (const wake of [...this.wakers]) wake();
    await this.lagOffsets?.flush();
    await this.consumer?.stop().catch(() => {});
  }

  /**
   * Subscribes to the topics of the spec that exist (the others are watched for, and the consumer
   * subscribes again once one of them is created); with none, tries again later.
   */
  private async connect(): Promise<void> {
    if (this.stopped) return;
    const { spec, client, logger } = this.options;
    const missing = await this.missingTopics();
    if (this.stopped) return;
    const existing = missing === undefined ? [] : spec.topics.map((t) => t.topic).filter((t) => !missing.includes(t));
    this.noteMissing(missing);
    if (existing.length === 0) {
      this.retry = setTimeout(() => void this.connect(), this.options.retryMs ?? 1_000);
      return;
    }
    const fromBeginning = spec.autoOffsetResetPosition === "earliest" || spec.startupPosition.type === "earliest";
    const consumer = client.consumer({ groupId: spec.consumerGroupId, fromBeginning });
    this.consumer = consumer;
    this.lagOffsets = new LagOffsets(consumer);
    try {
      await consumer.run(existing, {
        assigned: async (assignment) => {
          if (this.consumer !== consumer) return;
          // Another member may have advanced any partition: read every position again from the store
          // and seek there before the consumer fetches any of them (it holds them until this settles).
          this.states.clear();
          this.joined = true;
          this.assignment = [...assignment].flatMap(([topic, partitions]) => partitions.map((p) => `${topic}/${p}`));
          logger.info({ ingress: spec.id, assignment: Object.fromEntries(assignment) }, "Kafka ingress assigned");
          this.positioning++;
          try {
            await Promise.all([...assignment].flatMap(([topic, partitions]) => partitions.map((p) => this.seekStored(consumer, topic, p))));
          } finally {
            this.positioning--;
          }
        },
        batch: (batch) => this.handle(consumer, batch),
      });
    } catch (error) {
      logger.warn({ ingress: spec.id, error: String(error) }, "Kafka ingress: connecting failed, retrying");
      await this.dropConsumer(consumer);
      this.problem = `cannot reach the Kafka broker at ${spec.address}: ${(error as Error).message}`;
      if (!this.stopped) this.retry = setTimeout(() => void this.connect(), this.options.retryMs ?? 1_000);
      return;
    }
    if (this.missing.length > 0 && !this.stopped) this.retry = setTimeout(() => void this.watchMissing(), this.options.retryMs ?? 1_000);
  }

  /** While the consumer runs on some of the topics: once a missing one exists, subscribes again with it. */
  private async watchMissing(): Promise<void> {
    if (this.stopped) return;
    const missing = await this.missingTopics();
    if (this.stopped) return;
    if (missing === undefined || missing.length >= this.missing.length) {
      this.retry = setTimeout(() => void this.watchMissing(), this.options.retryMs ?? 1_000);
      return;
    }
    this.noteMissing(missing);
    const consumer = this.consumer;
    if (consumer !== undefined) await this.dropConsumer(consumer);
    await this.connect();
  }

  /** Stops a consumer this ingress no longer uses (its positions stay in the store: the next one seeks there). */
  private async dropConsumer(consumer: KafkaConsumer): Promise<void> {
    if (this.consumer === consumer) {
      this.consumer = undefined;
      this.joined = false;
      this.problem = "connecting to the broker";
      this.assignment = [];
      this.states.clear();
      await this.lagOffsets?.flush();
      this.lagOffsets = undefined;
    }
    await consumer.stop().catch(() => {});
  }

  /**
   * Keeps the topics found missing (undefined: the broker could not be asked, and the problem says
   * why; no topic is named missing meanwhile) and logs what changed since the last log.
   */
  private noteMissing(missing: readonly string[] | undefined): void {
    const { spec, logger } = this.options;
    this.missing = [...(missing ?? [])];
    if (missing === undefined) return;
    const gone = missing.filter((t) => !this.loggedMissing.includes(t));
    const back = this.loggedMissing.filter((t) => !missing.includes(t));
    if (gone.length > 0) logger.warn({ ingress: spec.id, missing }, "Kafka ingress: topics missing, waiting for them");
    if (back.length > 0) logger.info({ ingress: spec.id, topics: back }, "Kafka ingress: missing topics exist now, subscribing to them");
    this.loggedMissing = [...missing];
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
    // A seek made while the position loaded (at assignment) makes this batch one from before it.
    if (this.stopped || batch.stale()) return;
    if (batch.fetchedOffset > state.pos && !state.sought) {
      // Fetched from past the stored position (Kafka's offsets ahead of the store): go back.
      state.sought = true;
      consumer.seek(topic, partition, state.pos);
      return;
    }
    if (this.options.sink.overloaded() && !(await this.holdWhileOverloaded(batch))) return;
    const records = batch.records.filter((r) => r.offset >= state.pos);
    const last = batch.records.at(-1);
    if (records.length === 0) {
      if (last !== undefined) batch.resolve(last.offset);
      return;
    }
    const to = records.at(-1)!.offset + 1;
    const route = this.routers.get(topic)!;
    const where = { ingress: this.options.spec.id, topic, partition, deadTarget: this.deadTarget(topic) };
    // Fetching goes on while the advance commits: the next batch of the partition is read from `to`
    // and advances from `to`, conditional on this advance having committed (so if it does not, that
    // one is rejected too, and the partition seeks back to its stored position). A long batch goes
    // as several advances, each from where the last one ends: the runtime may hand a record to its
    // function before its commit, and a short advance commits with the invocations of its records
    // (see the runtime's `EarlySources`).
    const chunks: Promise<"committed" | "rejected">[] = [];
    for (let at = 0; at < records.length; at += ADVANCE_RECORDS) {
      const chunk = records.length <= ADVANCE_RECORDS ? records : records.slice(at, at + ADVANCE_RECORDS);
      const from = state.pos;
      state.pos = chunk.at(-1)!.offset + 1;
      const parts = recordsToMessages(chunk, where, route);
      chunks.push(this.options.sink.advance({ source: this.source, partition: key, from, to: state.pos, ...parts }));
    }
    const advancing = chunks.length === 1 ? chunks[0]! : allAdvanced(chunks);
    batch.resolve(to - 1);
    // Outcomes are taken in the partition's order: a failed advance reads the position once every
    // advance before it settled.
    const inFlight = (this.inFlight.get(key) ?? []).filter((p) => this.advancing.has(p));
    const previous = inFlight.at(-1);
    const settled = advancing
      .then(
        (result) => ({ result, error: undefined }),
        (error: unknown) => ({ result: "failed" as const, error }),
      )
      .then(async ({ result, error }) => {
        await previous;
        if (result === "committed") this.lagOffsets?.note(topic, partition, to);
        else if (result === "rejected") this.seekAgain(consumer, key, loading, "Kafka ingress: position moved by another worker; seeking");
        else this.seekAgain(consumer, key, loading, "Kafka ingress: committing records failed; seeking", error);
      });
    this.advancing.add(settled);
    void settled.finally(() => this.advancing.delete(settled));
    // A few advances of a partition commit at once at most: beyond, the batch waits for the oldest.
    inFlight.push(settled);
    this.inFlight.set(key, inFlight);
    if (inFlight.length > ADVANCES_IN_FLIGHT) await inFlight[0];
  }

  /**
   * An advance of `key` was not applied (another worker advanced the partition first, or the
   * commit failed): the position is read again from the store and the partition sought there. The
   * advances already made after it are rejected by the store (their `from` was never stored).
   */
  private seekAgain(consumer: KafkaConsumer, key: string, loading: Promise<PartitionState>, message: string, error?: unknown): void {
    if (this.stopped || this.states.get(key) !== loading || this.consumer !== consumer) return;
    this.states.delete(key);
    const logged = { ingress: this.options.spec.id, partition: key, ...(error === undefined ? {} : { error: String(error) }) };
    if (error === undefined) this.options.logger.info(logged, message);
    else this.options.logger.warn(logged, message);
    const slash = key.lastIndexOf("/");
    void this.seekStored(consumer, key.slice(0, slash), Number(key.slice(slash + 1)));
  }

  /** Resolves once every advance handed to the runtime so far has committed or failed. */
  async settled(): Promise<void> {
    while (this.advancing.size > 0) await Promise.allSettled([...this.advancing]);
  }

  /**
   * Loads a partition's position (storing the startup position when there is none) and seeks
   * there. A failure is logged: the partition's first batch then loads the position again and
   * seeks if it was fetched from past it.
   */
  private async seekStored(consumer: KafkaConsumer, topic: string, partition: number): Promise<void> {
    const key = `${topic}/${partition}`;
    const loading = this.load(topic, partition);
    this.states.set(key, loading);
    try {
      const state = await loading;
      if (this.stopped || this.states.get(key) !== loading) return;
      state.sought = true;
      consumer.seek(topic, partition, state.pos);
    } catch (error) {
      if (this.states.get(key) === loading) this.states.delete(key);
      this.options.logger.warn(
        { ingress: this.options.spec.id, partition: key, error: String(error) },
        "Kafka ingress: reading the position failed",
      );
    }
  }

  /**
   * Holds the batch while the runtime is overloaded: the client fetches nothing more from its broker
   * meanwhile (records wait in Kafka, beyond the one fetch held), the group membership is kept with
   * heartbeats, and the batch goes on as soon as the runtime takes work again, with no fetch to wait
   * for (a paused partition would wait for the consumer's next fetch, up to `fetch.max.wait.ms`
   * when every partition was paused). False when the ingress stopped or the batch went stale.
   */
  private async holdWhileOverloaded(batch: ConsumedBatch): Promise<boolean> {
    const key = `${batch.topic}/${batch.partition}`;
    this.paused.add(key);
    this.pauses++;
    this.options.logger.debug({ ingress: this.options.spec.id, partition: key }, "Kafka ingress: runtime overloaded, partition held");
    try {
      while (this.options.sink.overloaded()) {
        await this.sleep(HOLD_CHECK_MS);
        if (this.stopped || batch.stale()) return false;
        await batch.heartbeat();
      }
      return !this.stopped && !batch.stale();
    } finally {
      this.paused.delete(key);
    }
  }

  /** Resolves after `ms`, or at once when the ingress stops. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }

  /** The topics of the spec the broker does not have; undefined when the broker cannot be asked (the problem says why). */
  private async missingTopics(): Promise<string[] | undefined> {
    const { spec, client } = this.options;
    let admin: KafkaAdmin | undefined;
    try {
      admin = await client.admin();
      const existing = new Set(await admin.listTopics());
      return spec.topics.map((t) => t.topic).filter((t) => !existing.has(t));
    } catch (error) {
      this.problem = `cannot reach the Kafka broker at ${spec.address}: ${(error as Error).message}`;
      return undefined;
    } finally {
      await admin?.close().catch(() => {});
    }
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

/** The outcome of a batch's advances, once all of them settled: the first failure, else rejected if one was. */
async function allAdvanced(advances: readonly Promise<"committed" | "rejected">[]): Promise<"committed" | "rejected"> {
  let outcome: "committed" | "rejected" = "committed";
  for (const result of await Promise.allSettled(advances)) {
    if (result.status === "rejected") throw result.reason;
    if (result.value === "rejected") outcome = "rejected";
  }
  return outcome;
}
