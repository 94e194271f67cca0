import type { SourcePart } from "../sources.js";
import type { DeadLetter, EgressRow, ReplyRow, StateDrop, StateWrite, StoredMessage } from "../store/types.js";

/** A message produced by an invocation or an ingress; it gets its `seq` when its commit is formed. */
export type NewMessage = Omit<StoredMessage, "seq"> & { seq: number };

/** An ingress request inside a unit. */
export interface IngressPart {
  readonly message: NewMessage;
  readonly requestId: string;
  readonly idempotencyKey?: string | undefined;
  readonly fingerprint?: string | undefined;
  /** Told when `message`, if `handedOver`, gets its seq (see `EarlyIngress`). */
  readonly early?: { assigned(message: StoredMessage): void } | undefined;
  /**
   * Set when `message` went to its mailbox before its commit (see `EarlyIngress`): an invocation
   * may have consumed it already. A flag here rather than a weak set of messages, whose entry
   * cost every request a slow path of the garbage collector's write barrier.
   */
  handedOver?: boolean | undefined;
}

/**
 * The effects of one invocation (or one ingress request, or one replay): the unit the commit
 * pipeline groups into store transactions. Units commit in the order they were enqueued.
 */
export interface CommitUnit {
  readonly touchedKeyGroups: readonly number[];
  readonly consumed: readonly number[];
  /** Mutable until the unit's batch is formed: a later cancellation removes delayed sends from it. */
  messages: NewMessage[];
  readonly cancelTokens: readonly string[];
  /** Expired state to delete before `state` is written. */
  readonly drops: readonly StateDrop[];
  readonly state: readonly StateWrite[];
  readonly egress: readonly Omit<EgressRow, "id">[];
  readonly replies: readonly ReplyRow[];
  readonly deadLetters: readonly Omit<DeadLetter, "id">[];
  readonly replayed: readonly number[];
  readonly ingress?: IngressPart | undefined;
  /** An ingress source's advance (see `sources.ts`): committed only if its position still holds. */
  readonly source?: SourcePart | undefined;
  /**
   * Messages this unit consumed before they had a seq: handed on before the commit of the unit
   * that sent them (see `Dispatcher`'s chained delivery) or of their ingress unit (`EarlyIngress`),
   * each with a 0 in `consumed`. That unit is ahead in the queue, so each has its seq once this
   * unit's batch forms (read then, so a batch formed again after a full disk reads the new one).
   */
  unsequenced?: StoredMessage[] | undefined;
  /**
   * True: the unit's immediate messages were handed to their mailboxes already (chained), the
   * commit does not hand them on; false: they wait for the commit, and chained delivery waits
   * with them (FIFO per pair). Undefined for a unit that sent none.
   */
  delivered?: boolean | undefined;
  /** The address whose invocation produced the unit (its count of pending commits drops when it commits). */
  readonly mailbox?: { pendingCommits: number } | undefined;
  /**
   * Committed in a batch of its own, ahead of queued units (background work that measures and
   * bounds its own cost, and touches nothing a queued unit touches).
   */
  readonly alone?: boolean | undefined;
  /**
   * Called once the unit is durable, with its messages as stored, the request id of a duplicate
   * ingress, and how long the store took to commit its batch (ms: its own time when it reports it,
   * `CommitResult.storeMs`, else from handing the batch over until it was durable).
   */
  readonly committed?: ((stored: readonly StoredMessage[], duplicateOf: string | undefined, commitMs: number) => void) | undefined;
  readonly failed?: ((error: unknown) => void) | undefined;
}

const NONE: readonly never[] = Object.freeze([]);

export function unit(parts: Partial<CommitUnit>): CommitUnit {
  return {
    touchedKeyGroups: NONE,
    consumed: NONE,
    messages: [],
    cancelTokens: NONE,
    drops: NONE,
    state: NONE,
    egress: NONE,
    replies: NONE,
    deadLetters: NONE,
    replayed: NONE,
    ...parts,
  };
}

/**
 * `unit({ ingress, committed, failed })` written out, with the same fields in the same order: one
 * is made for every ingress request, and the spread of `unit` was a measurable part of its cost.
 */
export function ingressUnit(ingress: IngressPart, committed: CommitUnit["committed"], failed: (error: unknown) => void): CommitUnit {
  return {
    touchedKeyGroups: NONE,
    consumed: NONE,
    messages: [],
    cancelTokens: NONE,
    drops: NONE,
    state: NONE,
    egress: NONE,
    replies: NONE,
    deadLetters: NONE,
    replayed: NONE,
    ingress,
    committed,
    failed,
  };
}

/** A shared empty list, for the many units that have nothing of a kind. */
export const EMPTY = NONE;
