/** Reads the operator console needs from a store (listing, not the engine's hot path). */
export interface ConsoleReads {
  /**
   * Ids of the instances of a function type that have state, in ascending code unit order, after
   * `afterId` (from the start when undefined), at most `limit`: a page of the state browser.
   * Read through the state table's primary key (namespace, type, id, name), never a full scan.
   */
  listInstances(
    functionType: { readonly namespace: string; readonly type: string },
    afterId: string | undefined,
    limit: number,
  ): Promise<string[]>;
  /** Egress records not yet delivered, by topic (topics with none are absent). */
  egressDepth(): Promise<Map<string, number>>;
}
