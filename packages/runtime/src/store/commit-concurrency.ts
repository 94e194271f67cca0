/** Whether a store's commits leave the engine's thread free while they run. */
export interface CommitConcurrency {
  /**
   * True when `commit` runs off the engine's thread (on another thread, or as network I/O): the
   * engine then pipelines, handing the next batch to the store before it runs the invocations
   * the last commit started, so invoking and committing overlap. Absent means false.
   */
  readonly commitsOffThread?: boolean;
}
