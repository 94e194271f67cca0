import { type Address, addressKey, StatefunError } from "@statefun-ts/protocol";
import type { StateSpecInfo } from "../binding.js";
import type { StoreStats } from "./admin-reads.js";
import type { CommitBatch, CommitResult, Fence } from "./commit-batch.js";
import type { DelivererLease } from "./deliverer-leases.js";
import type { OrderedEgressRow } from "./egress-delivery.js";
import type { EgressClaim } from "./egress-outbox.js";
import type { MessagePage, StoreChange } from "./engine-store.js";
import type { ClusterView, Lease } from "./leases.js";
import type { StoreInfo } from "./lifecycle.js";
import { loadMemorySnapshot, type MemoryTables, memoryCounts, readMemorySnapshot } from "./memory-snapshot.js";
import type { ModuleCatalogChange, ModuleCatalogEntry, ModuleCatalogSnapshot } from "./module-catalog.js";
import {
  type DeadLetter,
  type EgressRow,
  type ExpiredRow,
  INSTANCE_ROW,
  type ReplyRow,
  type StateDrop,
  type StateEntry,
  type StoredMessage,
} from "./records.js";
import type { LoadOptions, SnapshotCounts, SnapshotRecord } from "./snapshot.js";
import type { Store } from "./types.js";

export interface MemoryStoreOptions {
  /** The store's clock for memberships and egress claims (default `Date.now`). */
  readonly now?: () => number;
  /** Report the store as shared by several runtimes (`StoreInfo.shared`), so they run in cluster mode. */
  readonly shared?: boolean;
}

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
  private readonly keys = new Map<string, { requestId: string; createdAt: number; fingerprint?: string | undefined }>();
  private readonly dead = new Map<number, DeadLetter>();
  /** Ingress source positions by `{source}\u0000{partition}`. */
  private readonly sourcePositions = new Map<string, number>();
  private readonly leases = new Map<number, Lease>();
  private readonly members = new Map<string, number>();
  private readonly deliverers = new Map<string, DelivererLease>();
  /** Commit order of immediate messages, by seq (the positions of `loadMessagesSince`). */
  private readonly positions = new Map<number, number>();
  private readonly claims = new Map<number, { claimant: string; until: number }>();
  private readonly listeners = new Set<(change: StoreChange) => void>();
  private lastPosition = 0;
  private readonly specs = new Map<string, Map<string, StateSpecInfo>>();
  private readonly catalog = new Map<string, ModuleCatalogEntry>();
  private catalogVersion = 0;
  private readonly parked = new Map<string, number>();
  private nextSeq = 1;
  private nextEgress = 1;
  private nextDead = 1;

  private readonly now: () => number;
  private readonly shared: boolean;

  constructor(
    private readonly keyGroups = 128,
    options: MemoryStoreOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.shared = options.shared ?? false;
  }

  async open(): Promise<StoreInfo> {
    return this.shared ? { keyGroups: this.keyGroups, shared: true } : { keyGroups: this.keyGroups };
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

  async heartbeat(owner: string, leaseMs: number): Promise<ClusterView> {
    const now = this.now();
    this.members.set(owner, now + leaseMs);
    return { now, members: this.live(now), leases: new Map(this.leases) };
  }

  async leave(owner: string): Promise<void> {
    this.members.delete(owner);
  }

  async claim(owner: string, keyGroups: readonly number[]): Promise<Map<number, number>> {
    const live = new Set(this.live(this.now()));
    const epochs = new Map<number, number>();
    for (const kg of new Set(keyGroups)) {
      const lease = this.leases.get(kg);
      if (lease?.owner !== undefined && lease.owner !== owner && live.has(lease.owner)) continue;
      const epoch = (lease?.epoch ?? 0) + 1;
      this.leases.set(kg, { owner, epoch });
      epochs.set(kg, epoch);
    }
    return epochs;
  }

  async release(fence: Fence, keyGroups: readonly number[]): Promise<void> {
    for (const kg of keyGroups) {
      const lease = this.leases.get(kg);
      if (lease?.owner === fence.owner && lease.epoch === fence.epochs.get(kg))
        this.leases.set(kg, { owner: undefined, epoch: lease.epoch });
    }
  }

  async claimDeliverer(name: string, owner: string): Promise<DelivererLease> {
    const lease = this.deliverers.get(name);
    if (lease?.owner === owner) return lease;
    if (lease?.owner !== undefined && this.live(this.now()).includes(lease.owner)) return lease;
    const taken = { owner, epoch: (lease?.epoch ?? 0) + 1 };
    this.deliverers.set(name, taken);
    return taken;
  }

  async releaseDeliverer(name: string, owner: string): Promise<void> {
    const lease = this.deliverers.get(name);
    if (lease?.owner === owner) this.deliverers.set(name, { owner: undefined, epoch: lease.epoch });
  }

  private live(now: number): string[] {
    return [...this.members]
      .filter(([, expiresAt]) => expiresAt > now)
      .map(([owner]) => owner)
      .sort();
  }

  watch(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private announce(batch: CommitBatch): void {
    if (this.listeners.size === 0) return;
    const messages = new Set<number>();
    const timers = new Set<number>();
    for (const m of [...batch.ingress, ...batch.messages, ...(batch.sources ?? []).flatMap((a) => a.messages)])
      (m.dueAt === undefined ? messages : timers).add(m.keyGroup);
    if (messages.size === 0 && timers.size === 0 && batch.replies.length === 0) return;
    const change: StoreChange = {
      origin: batch.fence.owner,
      messages: [...messages],
      timers: [...timers],
      replies: batch.replies.map((r) => r.requestId),
    };
    // Like a notification from a database: after the commit, never inside it.
    for (const listener of this.listeners) queueMicrotask(() => listener(change));
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
    this.checkSeqs(batch);
    const duplicates = new Map<string, string>();
    for (const m of batch.ingress) {
      const { requestId, idempotencyKey, fingerprint, ...message } = m;
      if (idempotencyKey !== undefined) {
        const known = this.keys.get(idempotencyKey);
        if (known) {
          duplicates.set(idempotencyKey, known.requestId);
          continue;
        }
        this.keys.set(idempotencyKey, { requestId, createdAt: batch.now, fingerprint });
      }
      this.messages.set(m.seq, message);
      if (m.dueAt === undefined) this.positions.set(m.seq, ++this.lastPosition);
    }
    const rejectedSources = this.advanceSources(batch);
    for (const seq of batch.consumed) {
      this.messages.delete(seq);
      this.positions.delete(seq);
    }
    let cancelled: number | undefined;
    if (batch.cancelTokens.length > 0) {
      const tokens = new Set(batch.cancelTokens);
      cancelled = 0;
      for (const [seq, m] of this.messages)
        if (m.dueAt !== undefined && m.cancellationToken && tokens.has(m.cancellationToken)) {
          this.messages.delete(seq);
          cancelled++;
        }
    }
    for (const m of batch.messages) {
      this.messages.set(m.seq, m);
      if (m.dueAt === undefined) this.positions.set(m.seq, ++this.lastPosition);
    }
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
    this.announce(batch);
    return cancelled === undefined ? { duplicates, rejectedSources } : { duplicates, rejectedSources, cancelled };
  }

  /** Applies the source advances whose `from` still holds (see `SourceAdvance`); returns the indexes of the others. */
  private advanceSources(batch: CommitBatch): Set<number> | undefined {
    const sources = batch.sources ?? [];
    if (sources.length === 0) return undefined;
    const rejected = new Set<number>();
    sources.forEach((advance, index) => {
      const key = `${advance.source}\u0000${advance.partition}`;
      if ((this.sourcePositions.get(key) ?? null) !== advance.from) {
        rejected.add(index);
        return;
      }
      this.sourcePositions.set(key, advance.to);
      for (const m of advance.messages) {
        this.messages.set(m.seq, m);
        this.positions.set(m.seq, ++this.lastPosition);
      }
      for (const d of advance.deadLetters) {
        const id = this.nextDead++;
        this.dead.set(id, { ...d, id });
      }
    });
    return rejected;
  }

  async loadSourcePositions(source: string): Promise<Map<string, number>> {
    const prefix = `${source}\u0000`;
    const found = new Map<string, number>();
    for (const [key, position] of this.sourcePositions) if (key.startsWith(prefix)) found.set(key.slice(prefix.length), position);
    return found;
  }

  /** Like a primary key on `seq`: a batch that would store a seq twice fails before anything is written. */
  private checkSeqs(batch: CommitBatch): void {
    const added = new Set<number>();
    const keys = new Set<string>();
    const insert = (seq: number) => {
      if (added.has(seq) || this.messages.has(seq)) {
        throw new StatefunError("STATEFUN_BAD_MESSAGE", `commit stores message seq ${seq} twice (a duplicate primary key)`);
      }
      added.add(seq);
    };
    for (const m of batch.ingress) {
      if (m.idempotencyKey !== undefined) {
        if (this.keys.has(m.idempotencyKey) || keys.has(m.idempotencyKey)) continue;
        keys.add(m.idempotencyKey);
      }
      insert(m.seq);
    }
    for (const m of batch.messages) insert(m.seq);
  }

  async loadMessagesSince(keyGroups: readonly number[], position: number, limit: number): Promise<MessagePage> {
    if (limit <= 0) return { messages: [], next: position };
    const groups = new Set(keyGroups);
    const messages: StoredMessage[] = [];
    // Insertion order is position order: positions only grow and a seq is inserted once.
    for (const [seq, at] of this.positions) {
      if (at <= position) continue;
      const m = this.messages.get(seq)!;
      if (!groups.has(m.keyGroup)) continue;
      messages.push(m);
      if (messages.length === limit) return { messages, next: at };
    }
    return { messages, next: Math.max(position, this.lastPosition) };
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

  async listInstances(functionType: { namespace: string; type: string }, afterId: string | undefined, limit: number): Promise<string[]> {
    const ids = new Set<string>();
    for (const { address, values } of this.state.values()) {
      if (address.namespace !== functionType.namespace || address.type !== functionType.type || values.size === 0) continue;
      if (afterId === undefined || address.id > afterId) ids.add(address.id);
    }
    return [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).slice(0, Math.max(0, limit));
  }

  async egressDepth(): Promise<Map<string, number>> {
    const depth = new Map<string, number>();
    for (const row of this.egress.values()) depth.set(row.topic, (depth.get(row.topic) ?? 0) + 1);
    return depth;
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

  async egressOrder(): Promise<string> {
    return "id";
  }

  async orderedEgress(after: number, limit: number): Promise<OrderedEgressRow[]> {
    // One writer: ids are in commit order, so `seq` is the id.
    return [...this.egress.values()]
      .filter((e) => e.topic === "" && e.id > after)
      .sort((a, b) => a.id - b.id)
      .slice(0, limit)
      .map((e) => ({ ...e, seq: e.id }));
  }

  async deleteEgress(ids: readonly number[]): Promise<void> {
    for (const id of ids) {
      this.egress.delete(id);
      this.claims.delete(id);
    }
  }

  async claimEgress(topic: string, claimant: string, leaseMs: number): Promise<EgressClaim | undefined> {
    const now = this.now();
    for (const e of this.egress.values()) {
      if (e.topic !== topic || (this.claims.get(e.id)?.until ?? Number.NEGATIVE_INFINITY) > now) continue;
      this.claims.set(e.id, { claimant, until: now + leaseMs });
      return { ...e, claimedUntil: now + leaseMs };
    }
    return undefined;
  }

  async idempotencyFingerprint(key: string): Promise<string | undefined> {
    return this.keys.get(key)?.fingerprint;
  }

  async ackEgress(topic: string, id: number, claimant: string): Promise<boolean> {
    if (this.claims.get(id)?.claimant !== claimant || this.egress.get(id)?.topic !== topic) return false;
    this.egress.delete(id);
    this.claims.delete(id);
    return true;
  }

  async unclaimEgress(id: number, claimant: string): Promise<void> {
    if (this.claims.get(id)?.claimant === claimant) this.claims.delete(id);
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

  async loadModuleCatalog(): Promise<ModuleCatalogSnapshot> {
    const entries = [...this.catalog.values()].sort(
      (a, b) => a.kind.localeCompare(b.kind) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
    );
    return { version: this.catalogVersion, entries };
  }

  async *readSnapshot(): AsyncIterable<SnapshotRecord> {
    yield* readMemorySnapshot(this.tables());
  }

  async snapshotCounts(): Promise<SnapshotCounts> {
    return memoryCounts(this.tables());
  }

  async loadSnapshot(records: AsyncIterable<SnapshotRecord>, options: LoadOptions = {}): Promise<SnapshotCounts> {
    const ids = { seq: this.nextSeq, egress: this.nextEgress, dead: this.nextDead };
    const { counts, moduleCatalogVersion } = await loadMemorySnapshot(this.tables(), records, { ...options, ids });
    [this.nextSeq, this.nextEgress, this.nextDead, this.catalogVersion] = [ids.seq, ids.egress, ids.dead, moduleCatalogVersion];
    const waiting = [...this.messages.values()].filter((m) => m.dueAt === undefined && !this.positions.has(m.seq));
    for (const m of waiting.sort((a, b) => a.seq - b.seq)) this.positions.set(m.seq, ++this.lastPosition);
    return counts;
  }

  private tables(): MemoryTables {
    const { messages, state, egress, replies, keys, dead, specs, catalog, parked, sourcePositions } = this;
    return {
      messages,
      state,
      egress,
      replies,
      keys,
      dead,
      specs,
      catalog,
      parked,
      sourcePositions,
      moduleCatalogVersion: this.catalogVersion,
      nextIds: { "dead-letter": this.nextDead, egress: this.nextEgress },
    };
  }

  async moduleCatalogVersion(): Promise<number> {
    return this.catalogVersion;
  }

  async changeModuleCatalog(change: ModuleCatalogChange): Promise<number> {
    const key = `${change.kind}\u0000${change.name}`;
    if (change.body === null) this.catalog.delete(key);
    else this.catalog.set(key, { kind: change.kind, name: change.name, body: change.body });
    return ++this.catalogVersion;
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

  async stats(): Promise<StoreStats> {
    let timers = 0;
    for (const m of this.messages.values()) if (m.dueAt !== undefined) timers++;
    return { messages: this.messages.size - timers, timers, egress: this.egress.size, deadLetters: this.dead.size };
  }
}
