import type { EgressDelivery } from "../api.js";
import type { Store } from "../store/types.js";

/**
 * Hands egress records to pull consumers, each to one consumer at a time: a record is
 * deleted only once delivered (`ack`), so a crash in between redelivers it (at least once,
 * with its id as idempotency key).
 */
export class EgressOutbox {
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
    let done = false;
    return {
      record,
      ack: async () => {
        if (done) return;
        done = true;
        try {
          await this.store.deleteEgress([record.id]);
        } finally {
          inFlight.delete(record.id);
        }
      },
      release: () => {
        if (done) return;
        done = true;
        inFlight.delete(record.id);
      },
    };
  }
}
