/** Whether a store's commits leave the engine's thread free while they run. */
export interface CommitConcurrency {
  /**
   * True when `commit` runs off the engine's thread (on another thread, or as network I/O): the
   * engine then pipelines, handing the next batch to the store before it runs the invocations
   * the last commit started, so invoking and committing overlap. Absent means false.
   */
  readonly commitsOffThread?: boolean;
  /**
   * True when the store queues commits: a commit handed over before the earlier ones are durable
   * applies after them, in the order handed, and is refused, unapplied, when one handed before it
   * (and still unanswered when it was handed over) failed. The engine then keeps more than one
   * commit in flight, so the store goes from one commit (and its fsync) straight to the next.
   * Absent means false: one commit at a time.
   */
  readonly queuesCommits?: boolean;
}
