import type { StoredMessage } from "../store/types.js";

/**
 * Awaited ingress messages handed to their mailbox before their commit, so that a quick
 * invocation's effects join the same commit as the message: one durable commit per request-reply.
 *
 * The message's unit is enqueued before it is delivered, so its commit comes no later than the
 * commit of any unit that consumes it (commits apply in order: a crash rolls both back). Its seq
 * is handed out when its batch forms; an invocation that finished before lists the message in its
 * unit's `unsequenced`, whose seqs are read as the consumer's batch forms (the consumer's unit
 * comes later in the queue), as for a chained message. Once stored, the message is also in the committed batch the
 * inbox is given, and may be read back from the store while its consumption is not committed:
 * the inbox must not hand it over a second time (`handedOverEarly`).
 *
 * Only for a single owner, whose inbox reads by seq (everything at or below `handedOver` has
 * been handed over), and only while no backlog waits in the store (an early message must not pass
 * a message committed before it to the same address).
 */
export class EarlyIngress {
  /** Seqs of early messages the inbox may still offer again. */
  private readonly seqs = new Set<number>();

  /** A chained message (handed to its mailbox before its commit) is stored with `seq`: the inbox may offer it again. */
  storedEarly(seq: number): void {
    this.seqs.add(seq);
  }

  /**
   * The commit pipeline gave `m`, handed to its mailbox before its commit (its ingress part
   * `handedOver`), its seq (as its batch formed; again, with a new one, when a full disk made the
   * batch form again: a seq is never handed out twice, so the old one is only kept until pruned).
   */
  assigned(m: StoredMessage): void {
    this.seqs.add(m.seq);
  }

  /** True when the inbox offers a message already handed over early: it must not be delivered again. */
  handedOverEarly(m: StoredMessage): boolean {
    return this.seqs.size > 0 && this.seqs.has(m.seq);
  }

  /** The inbox handed over (or read past) every seq up to `handedOver`: it never offers those again. */
  prune(handedOver: number): void {
    if (this.seqs.size === 0) return;
    for (const seq of this.seqs) if (seq <= handedOver) this.seqs.delete(seq);
  }

  /** A commit failed or the engine is thrown away: forget everything. */
  clear(): void {
    this.seqs.clear();
  }
}
