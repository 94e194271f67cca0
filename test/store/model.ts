import { type Address, addressKey } from "@statefun-ts/protocol";
import type { CommitBatch, StateEntry, StoredMessage } from "@statefun-ts/runtime/spi";

/** The store's commit and read rules, in memory, as plainly as possible: the oracle of the property test. */
export class StoreModel {
  readonly messages = new Map<number, StoredMessage>();
  readonly state = new Map<string, Map<string, StateEntry>>();
  readonly keys = new Map<string, string>();

  commit(batch: CommitBatch): Map<string, string> {
    const duplicates = new Map<string, string>();
    for (const m of batch.ingress) {
      const key = m.idempotencyKey;
      if (key !== undefined) {
        const first = this.keys.get(key);
        if (first !== undefined) {
          duplicates.set(key, first);
          continue;
        }
        this.keys.set(key, m.requestId);
      }
      const { requestId: _, idempotencyKey: __, ...stored } = m;
      this.messages.set(m.seq, stored);
    }
    for (const seq of batch.consumed) this.messages.delete(seq);
    for (const token of batch.cancelTokens) {
      for (const [seq, m] of this.messages) if (m.dueAt !== undefined && m.cancellationToken === token) this.messages.delete(seq);
    }
    for (const m of batch.messages) this.messages.set(m.seq, m);
    for (const w of batch.state) {
      const key = addressKey(w.address);
      const entries = this.state.get(key) ?? new Map<string, StateEntry>();
      this.state.set(key, entries);
      if (w.value === null) entries.delete(w.name);
      else
        entries.set(
          w.name,
          w.expiresAt === undefined ? { name: w.name, value: w.value } : { name: w.name, value: w.value, expiresAt: w.expiresAt },
        );
    }
    return duplicates;
  }

  loadMessages(keyGroups: readonly number[], afterSeq: number, limit: number): StoredMessage[] {
    return [...this.messages.values()]
      .filter((m) => m.dueAt === undefined && keyGroups.includes(m.keyGroup) && m.seq > afterSeq)
      .sort((a, b) => a.seq - b.seq)
      .slice(0, limit);
  }

  loadTimers(
    keyGroups: readonly number[],
    after: { dueAt: number; seq: number } | undefined,
    until: number,
    limit: number,
  ): StoredMessage[] {
    const afterCursor = (m: StoredMessage) =>
      after === undefined || m.dueAt! > after.dueAt || (m.dueAt === after.dueAt && m.seq > after.seq);
    return [...this.messages.values()]
      .filter((m) => m.dueAt !== undefined && keyGroups.includes(m.keyGroup) && afterCursor(m) && m.dueAt <= until)
      .sort((a, b) => a.dueAt! - b.dueAt! || a.seq - b.seq)
      .slice(0, limit);
  }

  loadState(address: Address): StateEntry[] {
    const entries = [...(this.state.get(addressKey(address))?.values() ?? [])];
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
