import type { EgressDelivery } from "../api.js";
import type { EgressRow, Store } from "../store/types.js";

/**
 * How long a record claimed in cluster mode stays hidden from other workers if this one dies
 * mid-delivery: long past any one HTTP response, short enough that a killed or frozen worker's
 * records reach consumers through the others within seconds. A claim that lapses while its
 * response is still being written is handed out again (at least once, with the same record id).
 */
const CLAIM_MS = 10_000;

/**
 * Hands egress records to pull consumers, each to one consumer at a time: a record is
 * deleted only once delivered (`ack`), so a crash in between redelivers it (at least once,
 * with its id as idempotency key).
 */
export interface EgressOutbox {
  /** Takes the oldest record of a topic not being delivered now. */
  take(topic: string): Promise<EgressDelivery | undefined>;
}

/** A single owner's outbox: the records being delivered are kept in memory. */
export class LocalOutbox implements EgressOutbox {
  private readonly delivering = new Map<string, Set<number>>();

  constructor(private readonly store: Store) {}

  async take(topic: string): Promise<EgressDelivery | undefined> {
    let inFlight = this.delivering.get(topic);
    if (inFlight === undefined) {
      inFlight = new Set();
      this.delivering.set(topic, inFlight);
    }
    const [record] = await this.store.peekEgress(topic, 1, inFlight);
    if (record === undefined || inFlight.has(record.id)) return undefined;
    inFlight.add(record.id);
    const held = inFlight;
    return delivery(this.store, record, () => held.delete(record.id));
  }
}

/** A cluster worker's outbox: the store claims the records being delivered, so workers never hand out the same one. */
export class ClaimingOutbox implements EgressOutbox {
  constructor(
    private readonly store: Store,
    private readonly claimant: string,
  ) {}

  async take(topic: string): Promise<EgressDelivery | undefined> {
    const claimed = await this.store.claimEgress(topic, this.claimant, CLAIM_MS);
    if (claimed === undefined) return undefined;
    const { claimedUntil: _, ...record } = claimed;
    return delivery(
      this.store,
      record,
      () => {},
      () => void this.store.unclaimEgress(record.id, this.claimant).catch(() => {}),
    );
  }
}

function delivery(store: Store, record: EgressRow, settle: () => void, giveBack: () => void = () => {}): EgressDelivery {
  let done = false;
  return {
    record,
    ack: async () => {
      if (done) return;
      done = true;
      try {
        await store.deleteEgress([record.id]);
      } finally {
        settle();
      }
    },
    release: () => {
      if (done) return;
      done = true;
      settle();
      giveBack();
    },
  };
}
