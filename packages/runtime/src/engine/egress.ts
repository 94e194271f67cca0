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
 * with its id as idempotency key). A single owner keeps the records being delivered in memory;
 * in a cluster (`claimant` given) the store claims them, so workers never hand out the same one.
 */
export class EgressOutbox {
  private readonly delivering = new Map<string, Set<number>>();

  constructor(
    private readonly store: Store,
    private readonly claimant?: string | undefined,
  ) {}

  async take(topic: string): Promise<EgressDelivery | undefined> {
    if (this.claimant !== undefined) return this.claim(topic, this.claimant);
    let inFlight = this.delivering.get(topic);
    if (inFlight === undefined) {
      inFlight = new Set();
      this.delivering.set(topic, inFlight);
    }
    const [record] = await this.store.peekEgress(topic, 1, inFlight);
    if (record === undefined || inFlight.has(record.id)) return undefined;
    inFlight.add(record.id);
    const held = inFlight;
    return this.delivery(record, () => held.delete(record.id));
  }

  private async claim(topic: string, claimant: string): Promise<EgressDelivery | undefined> {
    const claimed = await this.store.claimEgress(topic, claimant, CLAIM_MS);
    if (claimed === undefined) return undefined;
    const { claimedUntil: _, ...record } = claimed;
    return this.delivery(
      record,
      () => {},
      () => void this.store.unclaimEgress(record.id, claimant).catch(() => {}),
    );
  }

  private delivery(record: EgressRow, settle: () => void, giveBack: () => void = () => {}): EgressDelivery {
    let done = false;
    return {
      record,
      ack: async () => {
        if (done) return;
        done = true;
        try {
          await this.store.deleteEgress([record.id]);
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
}
