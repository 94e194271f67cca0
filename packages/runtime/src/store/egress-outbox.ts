import type { EgressRow } from "./records.js";

/** An egress record claimed by one worker for delivery; `claimedUntil` is on the store's clock. */
export interface EgressClaim extends EgressRow {
  readonly claimedUntil: number;
}

/** The egress outbox: records committed for egress topics, taken out by their consumers. */
export interface EgressOutboxStore {
  /** The oldest records of a topic, skipping ids in `exclude`. */
  peekEgress(topic: string, limit: number, exclude?: ReadonlySet<number>): Promise<EgressRow[]>;
  /** Deletes delivered egress records. */
  deleteEgress(ids: readonly number[]): Promise<void>;
  /**
   * Takes the oldest record of a topic that no one holds, for `claimant`, until `leaseMs` from now
   * (store clock): concurrent claims from any worker never get the same record while the claim holds.
   */
  claimEgress(topic: string, claimant: string, leaseMs: number): Promise<EgressClaim | undefined>;
  /** Gives a claimed record back (not delivered): it is the oldest again for the next claim. A no-op unless `claimant` holds it. */
  unclaimEgress(id: number, claimant: string): Promise<void>;
}
