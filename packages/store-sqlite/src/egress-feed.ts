import type { CommitBatch, CommitResult, EgressRow } from "@statefun-ts/runtime/spi";

type Listener = (rows: readonly Omit<EgressRow, "id">[], seq: number) => void;

/** `EgressDelivery.onEgressCommitted` of a store: the listeners, told of each durable commit's egress rows. */
export class EgressFeed {
  private readonly listeners = new Set<Listener>();

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A commit of `batch` is durable and told back `result`. */
  committed(batch: CommitBatch, result: CommitResult): void {
    if (result.egressSeq === undefined || this.listeners.size === 0) return;
    // A listener's failure is its own: the commit is durable all the same.
    for (const listener of this.listeners) {
      try {
        listener(batch.egress, result.egressSeq);
      } catch {}
    }
  }
}
