import type { EgressRow } from "./records.js";

/** An outbox row with its place in the delivery order (`EgressDelivery`). */
export interface OrderedEgressRow extends EgressRow {
  /** Its place in the delivery order, which is commit order (see `EgressDelivery`). */
  readonly seq: number;
}

/**
 * The outbox of egresses with no topic (the Kafka egresses) read in commit order, so a deliverer
 * can keep "everything up to position N went out" as its progress (the exactly-once Kafka egress
 * does, inside its Kafka transaction).
 *
 * The rule: once `orderedEgress` returned a row with `seq` s, every row it has not returned yet
 * (committed earlier or later, by any worker) will be returned with a `seq` above s. Row ids
 * alone do not give that in cluster mode: on PostgreSQL a commit can take its ids before another
 * worker's commit takes larger ones, and become visible after it.
 */
export interface EgressDelivery {
  /**
   * Names the numbering of `seq` (`"id"` where `seq` is the row id, SQLite and the memory store):
   * a progress position is only meaningful for the numbering it was taken in, so a deliverer keeps
   * its position under this name (a store moved to a store of another numbering starts over).
   */
  egressOrder(): Promise<string>;
  /**
   * Up to `limit` rows of egresses with no topic whose `seq` is above `after`, in `seq` order.
   * Every `seq` given from now on is above `floor` (default `after`): a deliverer passes the
   * position it delivered up to, so no row can be numbered below it (a store moved with its rows).
   */
  orderedEgress(after: number, limit: number, floor?: number): Promise<OrderedEgressRow[]>;
  /**
   * Optional: deletes the rows of `egress` (an egress with no topic) whose `seq` is from `first` to
   * `last`, in one statement, and says how many it deleted: for a deliverer that read every row of
   * `egress` in that range (by the rule above, none of them can be returned later). Without it, a
   * deliverer deletes by row id (`deleteEgress`). The delete need not be durable at once (it is
   * with the store's next commit): after a crash, a deleted row may be read again, and is
   * delivered again unless the deliverer's position says it went out (exactly-once Kafka).
   */
  deleteOrderedEgress?(egress: string, first: number, last: number): Promise<number>;
  /**
   * Optional: calls `listener` once each commit made through this store object is durable, in
   * commit order, with every egress row it wrote (in the batch's order, with their topics) and the
   * `seq` of the first, the others following one by one. A deliverer whose last `orderedEgress`
   * row had `seq` s may take rows announced from s + 1 on as the read after s would return them
   * (those with no topic), instead of reading them back; rows committed by other store objects
   * (other workers) are not announced, so a gap sends it back to reading. Returns the unsubscribe.
   */
  onEgressCommitted?(listener: (rows: readonly Omit<EgressRow, "id">[], seq: number) => void): () => void;
}
