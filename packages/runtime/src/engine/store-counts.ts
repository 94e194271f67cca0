import type { CommitBatch, CommitResult, StoreStats } from "../store/types.js";

/** The messages one commit stored and consumed, as the engine knows them once it is durable. */
export interface CommittedMessages {
  /** Immediate and delayed messages stored (duplicate ingress and refused source advances left out). */
  readonly immediateAdded: number;
  readonly delayedAdded: number;
  /** Consumed immediate messages, and consumed delayed ones (fired timers). */
  readonly immediateConsumed: number;
  readonly delayedConsumed: number;
}

/**
 * The store's counts (immediate messages, delayed messages, egress records in all and by topic, dead letters) kept
 * in memory, so that reading them (`/metrics`, the stats history) runs no query: read once from
 * the store when the engine starts, then moved by each commit (messages stored and consumed,
 * egress records written, dead letters written and deleted) and by each egress delivery.
 *
 * With a single owner every change goes through this process: the counts stay exact. In a
 * cluster, other workers change the same tables: the counts are the store-wide ones as last read
 * (`refreshed`, every few heartbeats) moved by this worker's own commits since — exact with one
 * worker, and with several off by what the others committed since that read until the next one.
 * A store that does not tell how many delayed messages a cancellation deleted (`cancelled`, every
 * built-in store does) is taken to have deleted one per token.
 */
export class StoreCounts {
  private messages: number;
  private timers: number;
  private egress: number;
  private deadLetters: number;
  /** Egress records waiting, by topic (`''`: the records of egresses with no topic, Kafka's). */
  private readonly byTopic: Map<string, number>;

  constructor(start: StoreStats, egressByTopic: ReadonlyMap<string, number>) {
    this.messages = start.messages;
    this.timers = start.timers;
    this.egress = start.egress;
    this.deadLetters = start.deadLetters;
    this.byTopic = new Map(egressByTopic);
  }

  /** The counts now. */
  read(): StoreStats {
    return { messages: this.messages, timers: this.timers, egress: this.egress, deadLetters: this.deadLetters };
  }

  /** Egress records waiting, by topic (topics with none left out). */
  egressByTopic(): ReadonlyMap<string, number> {
    return this.byTopic;
  }

  /**
   * `batch` is durable: moves the counts by what it stored and deleted — `messages` as the engine
   * counted them, the egress records and dead letters from the batch, delayed messages cancelled
   * as the store counted them (`CommitResult.cancelled`; a store that does not say, one per token).
   */
  committed(batch: CommitBatch, result: CommitResult, messages: CommittedMessages): void {
    let dead = batch.deadLetters.length - batch.replayed.length;
    const sources = batch.sources;
    if (sources !== undefined)
      for (let i = 0; i < sources.length; i++) if (result.rejectedSources?.has(i) !== true) dead += sources[i]!.deadLetters.length;
    const cancelled = batch.cancelTokens.length === 0 ? 0 : (result.cancelled ?? batch.cancelTokens.length);
    this.messages = Math.max(0, this.messages + messages.immediateAdded - messages.immediateConsumed);
    this.timers = Math.max(0, this.timers + messages.delayedAdded - messages.delayedConsumed - cancelled);
    const egress = batch.egress;
    this.egress += egress.length;
    for (let i = 0; i < egress.length; i++) {
      const topic = egress[i]!.topic;
      this.byTopic.set(topic, (this.byTopic.get(topic) ?? 0) + 1);
    }
    this.deadLetters = Math.max(0, this.deadLetters + dead);
  }

  /** Egress records of `topic` delivered and deleted. */
  egressDelivered(topic: string, count: number): void {
    this.egress = Math.max(0, this.egress - count);
    const left = (this.byTopic.get(topic) ?? 0) - count;
    if (left > 0) this.byTopic.set(topic, left);
    else this.byTopic.delete(topic);
  }

  /** The counts as just read from the store (a cluster's periodic read). */
  refreshed(stats: StoreStats, egressByTopic: ReadonlyMap<string, number>): void {
    this.messages = stats.messages;
    this.timers = stats.timers;
    this.egress = stats.egress;
    this.deadLetters = stats.deadLetters;
    this.byTopic.clear();
    for (const [topic, count] of egressByTopic) this.byTopic.set(topic, count);
  }
}
