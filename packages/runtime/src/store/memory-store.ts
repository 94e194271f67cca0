import { type Address, addressKey, StatefunError } from "@statefun-ts/protocol";
import type { StateSpecInfo } from "../binding.js";
import type {
  CommitBatch,
  CommitResult,
  DeadLetter,
  EgressRow,
  RegistryChange,
  RegistryEntry,
  RegistrySnapshot,
  ReplyRow,
  StateEntry,
  Store,
  StoredMessage,
  StoreInfo,
} from "./types.js";

/**
 * A store in memory: for unit tests and experiments only (nothing survives the process).
 * It follows the same contract as the durable stores and passes the same conformance suite.
 */
export class MemoryStore implements Store {
  private readonly messages = new Map<number, StoredMessage>();
  private readonly state = new Map<string, Map<string, StateEntry>>();
  private readonly egress = new Map<number, EgressRow>();
  private readonly replies = new Map<string, ReplyRow & { createdAt: number }>();
  private readonly keys = new Map<string, { requestId: string; createdAt: number }>();
  private readonly dead = new Map<number, DeadLetter>();
  private readonly leases = new Map<number, { owner: string; epoch: number }>();
  private readonly specs = new Map<string, Map<string, StateSpecInfo>>();
  private readonly registry = new Map<string, RegistryEntry>();
  private registryChanges = 0;
  private readonly parked = new Map<string, number>();
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
    for (const w of batch.state) {
      const key = addressKey(w.address);
      let values = this.state.get(key);
      if (w.value === null) {
        values?.delete(w.name);
        if (values?.size === 0) this.state.delete(key);
        continue;
      }
      if (values === undefined) {
        values = new Map();
        this.state.set(key, values);
      }
      values.set(w.name, { name: w.name, value: w.value, expiresAt: w.expiresAt });
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
    return [...(this.state.get(addressKey(address))?.values() ?? [])];
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

  async loadRegistry(): Promise<RegistrySnapshot> {
    const entries = [...this.registry.values()].sort(
      (a, b) => a.kind.localeCompare(b.kind) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
    );
    return { version: this.registryChanges, entries };
  }

  async registryVersion(): Promise<number> {
    return this.registryChanges;
  }

  async changeRegistry(change: RegistryChange): Promise<number> {
    const key = `${change.kind}\u0000${change.name}`;
    if (change.body === null) this.registry.delete(key);
    else this.registry.set(key, { kind: change.kind, name: change.name, body: change.body });
    return ++this.registryChanges;
  }

  async loadMessagesOfType(
    keyGroups: readonly number[],
    functionType: string,
    afterSeq: number,
    upToSeq: number,
    limit: number,
  ): Promise<StoredMessage[]> {
    const groups = new Set(keyGroups);
    const cut = functionType.lastIndexOf("/");
    const namespace = functionType.slice(0, cut);
    const type = functionType.slice(cut + 1);
    return [...this.messages.values()]
      .filter(
        (m) =>
          m.dueAt === undefined &&
          m.seq > afterSeq &&
          m.seq <= upToSeq &&
          m.target.namespace === namespace &&
          m.target.type === type &&
          groups.has(m.keyGroup),
      )
      .sort((a, b) => a.seq - b.seq)
      .slice(0, limit);
  }

  async parkedTypes(): Promise<Map<string, number>> {
    return new Map(this.parked);
  }

  async setParked(functionType: string, since: number | undefined): Promise<void> {
    if (since === undefined) this.parked.delete(functionType);
    else if (!this.parked.has(functionType)) this.parked.set(functionType, since);
  }

  async stats(): Promise<{ messages: number; timers: number; egress: number; deadLetters: number }> {
    let timers = 0;
    for (const m of this.messages.values()) if (m.dueAt !== undefined) timers++;
    return { messages: this.messages.size - timers, timers, egress: this.egress.size, deadLetters: this.dead.size };
  }
}
