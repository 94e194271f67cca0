/** Identity and shape of a store, fixed when it was created. */
export interface StoreInfo {
  readonly keyGroups: number;
  /**
   * True when several workers (processes) may open this store at once (PostgreSQL): the runtime
   * then runs in cluster mode by default. Absent or false for a store one process owns (SQLite).
   */
  readonly shared?: boolean | undefined;
}

/** Opening and closing a store: every backend implements it. */
export interface StoreLifecycle {
  open(): Promise<StoreInfo>;
  close(): Promise<void>;
}
