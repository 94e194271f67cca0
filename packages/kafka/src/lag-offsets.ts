import type { KafkaConsumer } from "./client.js";

/**
 * Kafka's committed offsets of an ingress's group, kept for lag tools only (the store's positions
 * are the truth): the latest offset of each partition is committed at most once per `intervalMs`.
 * A commit per fetched batch would queue an OffsetCommit per batch and partition on the broker
 * connection the consumer fetches on, where the broker answers one request at a time: under load
 * the fetches waited seconds behind them.
 */
export class LagOffsets {
  private readonly pending = new Map<string, { topic: string; partition: number; offset: number }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly consumer: KafkaConsumer,
    private readonly intervalMs = 500,
  ) {}

  /** Records that `partition` of `topic` reads from `offset` next. */
  note(topic: string, partition: number, offset: number): void {
    this.pending.set(`${topic}/${partition}`, { topic, partition, offset });
    if (this.timer === undefined) {
      this.timer = setTimeout(() => void this.flush(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** Commits what is pending now (also at stop); failures are ignored (the next commit repeats the offset). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const offsets = [...this.pending.values()];
    this.pending.clear();
    await Promise.all(offsets.map((o) => this.consumer.commitOffset(o.topic, o.partition, o.offset).catch(() => {})));
  }
}
