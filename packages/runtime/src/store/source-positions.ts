import type { DeadLetter, StoredMessage } from "./types.js";

/**
 * What an ingress source (a Kafka consumer, say) read from one of its partitions, committed
 * together with the messages it produced: the position is the source of truth for where to read
 * next, so a record is turned into messages exactly once across crashes and restarts.
 *
 * The update is conditional: it applies only if the stored position of `(source, partition)` is
 * still `from` (`null`: no position stored yet). When it is not (another worker consumed the same
 * partition during a rebalance and committed first), the store writes nothing of this advance (no
 * position, no message, no dead letter) and reports its index in `SourceCommitResult.rejectedSources`;
 * the rest of the batch commits as usual.
 */
export interface SourceAdvance {
  /** Names the source, stable across restarts (e.g. `kafka:{ingress id}`). */
  readonly source: string;
  /** Names the partition within the source (e.g. `{topic}/{partition}`). */
  readonly partition: string;
  /** The stored position the records were read from; `null` when none was stored. */
  readonly from: number | null;
  /** The position to read from next. */
  readonly to: number;
  /** Messages the records produced (immediate, `seq` allocated). */
  readonly messages: readonly StoredMessage[];
  /** Records that could not be turned into messages, with why. */
  readonly deadLetters: readonly Omit<DeadLetter, "id">[];
}

/** The part of a `CommitBatch` that advances ingress sources (applied after the batch's ingress messages). */
export interface SourceCommitBatch {
  readonly sources?: readonly SourceAdvance[] | undefined;
}

/** The part of a `CommitResult` about sources: indexes (in `CommitBatch.sources`) of advances not applied. */
export interface SourceCommitResult {
  readonly rejectedSources?: ReadonlySet<number> | undefined;
}

/** The store role that keeps ingress source positions (see `SourceAdvance`). */
export interface SourcePositions {
  /** Every stored position of `source`, by partition. */
  loadSourcePositions(source: string): Promise<Map<string, number>>;
}
