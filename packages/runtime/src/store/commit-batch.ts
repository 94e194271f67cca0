import type { DeadLetter, EgressRow, IngressMessage, ReplyRow, StateDrop, StateWrite, StoredMessage } from "./records.js";
import type { SourceCommitBatch, SourceCommitResult } from "./source-positions.js";

/** The fencing token of a commit: the epoch the committing worker holds for each key group it writes. */
export interface Fence {
  readonly owner: string;
  readonly epochs: ReadonlyMap<number, number>;
}

/**
 * The effects of a group of invocations and ingress requests, committed atomically, in this order:
 * 1. every key group in `touchedKeyGroups` is checked against `fence` (else nothing is written
 *    and the commit throws a `StatefunError` with code `STATEFUN_FENCED`);
 * 2. ingress messages are inserted unless their idempotency key is already known;
 * 3. `consumed` messages are deleted (consumed, fired or dead-lettered), and every delayed
 *    message whose cancellation token is in `cancelTokens` is deleted;
 * 4. `messages` (immediate and delayed) are inserted;
 * 5. `drops` are applied (see `StateDrop`), then state writes, egress records, replies, dead
 *    letters and `replayed` dead letters.
 *
 * A message whose `seq` is already stored, or that the batch gives twice, fails the whole commit
 * (like a primary key): nothing of the batch is written.
 */
export interface CommitBatch extends SourceCommitBatch {
  /** The commit's wall-clock time (epoch ms): stored as the creation time of replies and idempotency keys. */
  readonly now: number;
  readonly fence: Fence;
  readonly touchedKeyGroups: ReadonlySet<number>;
  readonly ingress: readonly IngressMessage[];
  readonly consumed: readonly number[];
  readonly cancelTokens: readonly string[];
  readonly messages: readonly StoredMessage[];
  /** Expired state to delete before `state` is written (absent: none). */
  readonly drops?: readonly StateDrop[] | undefined;
  readonly state: readonly StateWrite[];
  readonly egress: readonly Omit<EgressRow, "id">[];
  readonly replies: readonly ReplyRow[];
  readonly deadLetters: readonly Omit<DeadLetter, "id">[];
  /** Dead letters deleted because their message was put back (replay). */
  readonly replayed: readonly number[];
}

/** What a commit tells back: ingress messages that were duplicates, by idempotency key, with the first request's id. */
export interface CommitResult extends SourceCommitResult {
  readonly duplicates: ReadonlyMap<string, string>;
  /**
   * Delayed messages deleted by `cancelTokens` (absent when the batch has none): it keeps the
   * engine's in-memory count of delayed messages exact (see `engine/store-counts.ts`).
   */
  readonly cancelled?: number | undefined;
  /**
   * The store's own time for this commit, in ms: applying it and making it durable, without the
   * wait for the commits handed to it before (reported by a store that queues commits, whose
   * promise includes that wait: see `Sweeper`, which paces itself by it).
   */
  readonly storeMs?: number | undefined;
  /**
   * The `seq` (`EgressDelivery`) of the batch's first egress row, the batch's other egress rows
   * numbered one by one after it in their order (absent when the batch has none, or when the
   * store does not number them so): see `EgressDelivery.onEgressCommitted`.
   */
  readonly egressSeq?: number | undefined;
}
