import { randomUUID } from "node:crypto";
import type { EgressClaimed, EgressDelivery } from "../api.js";
import type { Store } from "../store/types.js";

/**
 * How long a record handed out by `take` stays hidden from other consumers if its delivery
 * never settles (the worker died mid-response): long past any one HTTP response, short enough
 * that a killed or frozen worker's records reach consumers through the others within seconds.
 * A claim that lapses while its response is still being written is handed out again (at least
 * once, with the same record id).
 */
const CLAIM_MS = 10_000;

/**
 * Hands egress records to pull consumers through store claims, so no two consumers (of any
 * worker) hold the same record at once. `take` is the playground path: the record is deleted
 * once delivered (`ack`) or given back (`release`). `claim` is the acknowledged path: the record
 * stays hidden for a visibility timeout and is deleted only by `ack` with the claim's receipt;
 * if no acknowledgement comes, it returns to the topic when the timeout lapses. The claims are
 * the store's in both ownership modes, so one outbox serves a runtime for its whole life.
 */
export class EgressOutbox {
  constructor(
    private readonly store: Store,
    /** The worker's name: it prefixes the receipts of its claims. */
    private readonly claimant: string,
    /** Told of each record this outbox deleted (delivered), for the in-memory egress count. */
    private readonly deleted: (topic: string, count: number) => void = () => {},
  ) {}

  async take(topic: string): Promise<EgressDelivery | undefined> {
    const claimed = await this.claim(topic, CLAIM_MS);
    if (claimed === undefined) return undefined;
    let done = false;
    return {
      record: claimed.record,
      ack: async () => {
        if (done) return;
        done = true;
        await this.store.deleteEgress([claimed.record.id]);
        this.deleted(topic, 1);
      },
      release: () => {
        if (done) return;
        done = true;
        claimed.release();
      },
    };
  }

  async claim(topic: string, visibilityMs: number): Promise<EgressClaimed | undefined> {
    const receipt = `${this.claimant}.${randomUUID()}`;
    const claimed = await this.store.claimEgress(topic, receipt, visibilityMs);
    if (claimed === undefined) return undefined;
    const { claimedUntil, ...record } = claimed;
    return {
      record,
      receipt,
      visibleUntil: claimedUntil,
      release: () => void this.store.unclaimEgress(record.id, receipt).catch(() => {}),
    };
  }

  async ack(topic: string, id: number, receipt: string): Promise<boolean> {
    const acked = await this.store.ackEgress(topic, id, receipt);
    if (acked) this.deleted(topic, 1);
    return acked;
  }
}
