/** Acknowledging a claimed egress record: the claim/acknowledge path of pull consumers. */
export interface EgressAcks {
  /**
   * Deletes egress record `id` if `claimant` holds its last claim (`claimEgress`), lapsed or
   * not, as long as no one claimed it since; true when it deleted the record.
   */
  ackEgress(id: number, claimant: string): Promise<boolean>;
}
