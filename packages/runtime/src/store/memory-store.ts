import { type Address, addressKey, StatefunError } from "@statefun-ts/protocol";
import type { StateSpecInfo } from "../binding.js";
import {
  type CommitBatch,
  type CommitResult,
  type DeadLetter,
  type EgressRow,
  type ExpiredRow,
  INSTANCE_ROW,
  type ReplyRow,
  type StateDrop,
  type StateEntry,
  type Store,
  type StoredMessage,
  type StoreInfo,
} from "./types.js";

/** The state of one address, with what `expiredState` reports about it. */
interface Instance {
  readonly address: Address;
  keyGroup: number;
  readonly values: Map<string, StateEntry>;
}

/**
 * A store in memory: for unit tests and experiments only (nothing survives the process).
 * It follows the same contract as the durable stores and passes the same conformance suite.
 */
export class MemoryStore implements Store {
  private readonly messages = new Map<number, StoredMessage>();
  private readonly state = new Map<string, Instance>();
  private readonly egress = new Map<number, EgressRow>();
  private readonly replies = new Map<string, ReplyRow & { createdAt: number }>();
  private readonly keys = new Map<string, { requestId: string; createdAt: number }>();
  private readonly dead = new Map<number, DeadLetter>();
  private readonly leases = new Map<number, { owner: string; epoch: number }>();
  private readonly specs = new Map<string, Map<string, StateSpecInfo>>();
  private nextSeq = 1;
  private nextEgress = 1;
  private nextDead = 1;

  constructor(private readonly keyGroups = 128) {}

  async open(): Promise<StoreInfo> {
    return { keyGroups: this.keyGroups };
  }
  async close(): Promise<void> {}

  async acquire(owner: string, keyGroups: readonly number[]): Promise<Map<number, number>> {
    const epochs = new Map<number, number>();
    for (const kg of keyGroups) {
      const epoch = (this.leases.get(kg)?.epoch ?? 0) + 1;
      this.leases.set(kg, { owner, epoch });
      epochs.set(kg, epoch);
    }
    return epochs;
  }

  async allocateSeqs(count: number): Promise<number> {
    const first = this.nextSeq;
    this.nextSeq += count;
    return first;
  }

  async commit(batch: CommitBatch): Promise<CommitResult> {
    for (const kg of batch.touchedKeyGroups) {
      const lease = this.leases.get(kg);
      if (lease?.owner !== batch.fence.owner || lease.epoch !== batch.fence.epochs.get(kg)) {
        throw new StatefunError(
          "STATEFUN_FENCED",
          `key group ${kg} is leased to ${lease?.owner ?? "nobody"} at epoch ${lease?.epoch ?? 0}`,
        );
      }
    }
    const duplicates = new Map<string, string>();
    for (const m of batch.ingress) {
      const { requestId, idempotencyKey, ...message } = m;
      if (idempotencyKey !== undefined) {
        const known = this.keys.get(idempotencyKey);
        if (known) {
          duplicates.set(idempotencyKey, known.requestId);
          continue;
        }
        this.keys.set(idempotencyKey, { requestId, createdAt: batch.now });
      }
      this.messages.set(m.seq, message);
    }
    for (const seq of batch.consumed) this.messages.delete(seq);
    if (batch.cancelTokens.length > 0) {
      const tokens = new Set(batch.cancelTokens);
      for (const [seq, m] of this.messages)
        if (m.dueAt !== undefined && m.cancellationToken && tokens.has(m.cancellationToken)) this.messages.delete(seq);
    }
    for (const m of batch.messages) this.messages.set(m.seq, m);
    for (const d of batch.drops ?? []) this.drop(d);
    for (const w of batch.state) {
      const key = addressKey(w.address);
      let instance = this.state.get(key);
      if (w.value === null) {
        instance?.values.delete(w.name);
        if (instance?.values.size === 0) this.state.delete(key);
        continue;
      }
      if (instance === undefined) {
        instance = { address: w.address, keyGroup: w.keyGroup, values: new Map() };
        this.state.set(key, instance);
      }
      instance.keyGroup = w.keyGroup;
      instance.values.set(w.name, { name: w.name, value: w.value, expiresAt: w.expiresAt });
    }
    for (const e of batch.egress) {
      const id = this.nextEgress++;
      this.egress.set(id, { ...e, id });
    }
    for (const r of batch.replies) this.replies.set(r.requestId, { ...r, createdAt: batch.now });
    for (const d of batch.deadLetters) {
      const id = this.nextDead++;
      this.dead.set(id, { ...d, id });
    }
    for (const id of batch.replayed) this.dead.delete(id);
    return { duplicates };
  }

  async loadMessages(keyGroups: readonly number[], afterSeq: number, limit: number): Promise<StoredMessage[]> {
    const groups = new Set(keyGroups);
    return [...this.messages.values()]
      .filter((m) => m.dueAt === undefined && m.seq > afterSeq && groups.has(m.keyGroup))
      .sort((a, b) => a.seq - b.seq)
      .slice(0, limit);
  }

  async loadTimers(
    keyGroups: readonly number[],
    after: { dueAt: number; seq: number } | undefined,
    until: number,
    limit: number,
  ): Promise<StoredMessage[]> {
    const groups = new Set(keyGroups);
    const isAfter = (m: StoredMessage) => after === undefined || m.dueAt! > after.dueAt || (m.dueAt === after.dueAt && m.seq > after.seq);
    return [...this.messages.values()]
      .filter((m) => m.dueAt !== undefined && m.dueAt <= until && groups.has(m.keyGroup) && isAfter(m))
      .sort((a, b) => a.dueAt! - b.dueAt! || a.seq - b.seq)
      .slice(0, limit);
  }

  async loadState(address: Address): Promise<StateEntry[]> {
    return [...(this.state.get(addressKey(address))?.values.values() ?? [])];
  }

  /** Scans everything: this store is for tests, the durable ones use an index. */
  async expiredState(keyGroups: readonly number[], now: number, limit: number): Promise<ExpiredRow[]> {
    const groups = new Set(keyGroups);
    const found: ExpiredRow[] = [];
    for (const { address, keyGroup, values } of this.state.values()) {
      if (!groups.has(keyGroup)) continue;
      for (const e of values.values()) {
        if (e.expiresAt !== undefined && e.expiresAt <= now) found.push({ address, keyGroup, name: e.name, expiresAt: e.expiresAt });
      }
    }
    return found.sort((a, b) => a.expiresAt - b.expiresAt).slice(0, Math.max(0, limit));
  }

  private drop(d: StateDrop): void {
    const key = addressKey(d.address);
    const values = this.state.get(key)?.values;
    if (values === undefined) return;
    if (d.expiredBy !== undefined) {
      const expiresAt = values.get(d.name ?? INSTANCE_ROW)?.expiresAt;
      if (expiresAt === undefined || expiresAt > d.expiredBy) return;
    }
    if (d.name === undefined) values.clear();
    else values.delete(d.name);
    if (values.size === 0) this.state.delete(key);
  }

  async getReply(requestId: string): Promise<ReplyRow | undefined> {
    const r = this.replies.get(requestId);
    return r && { requestId: r.requestId, argument: r.argument };
  }

  async peekEgress(topic: string, limit: number, exclude?: ReadonlySet<number>): Promise<EgressRow[]> {
    return [...this.egress.values()].filter((e) => e.topic === topic && !exclude?.has(e.id)).slice(0, limit);
  }

  async deleteEgress(ids: readonly number[]): Promise<void> {
    for (const id of ids) this.egress.delete(id);
  }

  async listDeadLetters(limit: number, afterId = 0): Promise<DeadLetter[]> {
    return [...this.dead.values()].filter((d) => d.id > afterId).slice(0, limit);
  }

  async getDeadLetter(id: number): Promise<DeadLetter | undefined> {
    return this.dead.get(id);
  }

  async purge(before: number, limit: number): Promise<number> {
    let n = 0;
    for (const map of [this.replies, this.keys] as Map<string, { createdAt: number }>[]) {
      let here = 0;
      for (const [key, row] of map) {
        if (here >= limit) break;
        if (row.createdAt < before) {
          map.delete(key);
          here++;
        }
      }
      n += here;
    }
    return n;
  }

  async loadStateSpecs(): Promise<Map<string, StateSpecInfo[]>> {
    return new Map([...this.specs].map(([type, byName]) => [type, [...byName.values()]]));
  }

  async saveStateSpecs(functionType: string, specs: readonly StateSpecInfo[]): Promise<void> {
    let byName = this.specs.get(functionType);
    if (byName === undefined) {
      byName = new Map();
      this.specs.set(functionType, byName);
    }
    for (const spec of specs) byName.set(spec.name, spec);
  }

  async stats(): Promise<{ messages: number; timers: number; egress: number; deadLetters: number }> {
    let timers = 0;
    for (const m of this.messages.values()) if (m.dueAt !== undefined) timers++;
    return { messages: this.messages.size - timers, timers, egress: this.egress.size, deadLetters: this.dead.size };
  }
}
