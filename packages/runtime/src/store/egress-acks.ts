/** Acknowledging a claimed egress record: the claim/acknowledge path of pull consumers. */
export interface EgressAcks {
  /**
   * Deletes egress record `id` of `topic` if `claimant` holds its last claim (`claimEgress`),
   * lapsed or not, as long as no one claimed it since; true when it deleted the record (false for
   * a record of another topic).
   */
  ackEgress(topic: string, id: number, claimant: string): Promise<boolean>;
}
