import type { SourcePart } from "../sources.js";
import type { CommitUnit } from "./commit-unit.js";

/** What `EarlySources` needs of the engine around it. */
export interface EarlySourcesOptions {
  /** Enqueues a unit in the commit pipeline. */
  readonly enqueue: (unit: CommitUnit) => void;
  /**
   * Hands every message of `part` to its mailbox now when all of them may go (see
   * `Dispatcher.handOverEarly`), in order; false, handing none, when they are to wait for the commit.
   */
  readonly handOver: (part: SourcePart) => boolean;
  /** An advance handed over early was rejected by the store: the engine cannot go on. */
  readonly broken: (error: Error) => void;
}

/**
 * Source advances (Kafka records, see `sources.ts`) handed to their mailboxes before their commit,
 * as `EarlyIngress` does for awaited requests: a record's message, the effects of its invocation
 * and the partition's new position then commit together, and the message is neither inserted nor
 * deleted when its invocation's unit joins the same batch.
 *
 * A rejected advance must deliver nothing, so an advance goes early only when the store cannot
 * reject it: when its `from` is the position the partition will have once every advance
 * enqueued before it committed, known because this engine alone writes the store's positions
 * (a single owner: every key group, no other writer; a worker that took the store over fences
 * this one's next commit whole). That position is known from the first advance of a partition
 * that committed while no other of it was in flight, and kept while each next advance starts where
 * the last one ended; an advance not known to apply (the first, or one after a rejection) commits
 * first and forgets it until it is known again. Per partition, messages keep their order: an
 * advance goes early only while no advance of the partition waits for its commit to be handed on.
 */
export class EarlySources {
  /** Per partition: the position once every advance enqueued so far committed, while known. */
  private readonly tails = new Map<string, number>();
  /** Per partition: advances enqueued without being known to apply, not committed yet. */
  private readonly unsure = new Map<string, number>();
  /** Per partition: advances enqueued whose messages wait for their commit to be handed on, not committed yet. */
  private readonly waiting = new Map<string, number>();
  /** Per source: advances enqueued and not committed yet. */
  private readonly inFlight = new Map<string, number>();
  /** Per source: advances enqueued so far. */
  private readonly enqueued = new Map<string, number>();

  constructor(private readonly options: EarlySourcesOptions) {}

  /**
   * Reads the stored positions of `source` with `read`; when no advance of it was in flight or
   * enqueued meanwhile, they are the positions its next advances start from: known from then on.
   */
  async positions(source: string, read: () => Promise<Map<string, number>>): Promise<Map<string, number>> {
    const quiet = (this.inFlight.get(source) ?? 0) === 0;
    const before = this.enqueued.get(source) ?? 0;
    const positions = await read();
    if (quiet && (this.enqueued.get(source) ?? 0) === before) {
      for (const [partition, position] of positions) this.tails.set(`${source}\u0000${partition}`, position);
    }
    return positions;
  }

  /** Enqueues a unit with a source advance, handing its messages over before its commit when it may. */
  enqueue(u: CommitUnit & { readonly source: SourcePart }): void {
    const part = u.source;
    const key = `${part.source}\u0000${part.partition}`;
    this.inFlight.set(part.source, (this.inFlight.get(part.source) ?? 0) + 1);
    this.enqueued.set(part.source, (this.enqueued.get(part.source) ?? 0) + 1);
    const sure = part.from !== null && this.tails.get(key) === part.from;
    if (sure) this.tails.set(key, part.to);
    else {
      this.tails.delete(key);
      increment(this.unsure, key);
    }
    const watched = this.watched(u, key, sure);
    this.options.enqueue(watched);
    // After the enqueue: the units of the invocations must come after the advance's own. Not
    // ahead of an advance of the partition still waiting for its commit to be handed on. Marked
    // before: an invocation may end, and a batch form with the unit, while they are handed over.
    if (sure && part.messages.length > 0 && !this.waiting.has(key)) {
      watched.delivered = true;
      if (this.options.handOver(part)) return;
      watched.delivered = undefined;
    }
    increment(this.waiting, key);
  }

  /** The engine is thrown away or failed: know nothing. */
  clear(): void {
    this.tails.clear();
    this.unsure.clear();
    this.waiting.clear();
    // Positions read from now on are not known to be where the next advances start (see `positions`).
    for (const source of this.inFlight.keys()) this.inFlight.set(source, Number.POSITIVE_INFINITY);
  }

  /** `u` with callbacks that keep the partition's tail as its commit turns out. */
  private watched(u: CommitUnit & { readonly source: SourcePart }, key: string, sure: boolean): CommitUnit {
    const part = u.source;
    let rejected = false;
    const source: SourcePart = {
      ...part,
      rejected: () => {
        rejected = true;
        part.rejected?.();
      },
    };
    const watched: CommitUnit = {
      ...u,
      source,
      committed: (stored, duplicateOf, commitMs) => {
        decrement(this.inFlight, part.source);
        if (watched.delivered !== true) decrement(this.waiting, key);
        if (sure) {
          if (rejected) {
            // Cannot be, with no other writer of positions; but then nothing here is known.
            this.clear();
            if (watched.delivered === true) {
              this.options.broken(
                new Error(
                  `the store rejected an advance of ${part.source} ${part.partition} from ${String(part.from)} handed over before its commit`,
                ),
              );
            }
          }
        } else if (decrement(this.unsure, key) === 0 && !rejected) {
          // The last advance of the partition enqueued: the store holds its `to` now (rejected: a position unknown here).
          this.tails.set(key, part.to);
        }
        u.committed?.(stored, duplicateOf, commitMs);
      },
    };
    return watched;
  }
}

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** Counts one less under `key` (forgotten at 0); returns what is left. */
function decrement(counts: Map<string, number>, key: string): number {
  const left = (counts.get(key) ?? 1) - 1;
  if (left > 0) counts.set(key, left);
  else counts.delete(key);
  return left;
}
