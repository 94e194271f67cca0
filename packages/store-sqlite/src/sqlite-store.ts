import { existsSync } from "node:fs";
import { join } from "node:path";
import { StatefunError } from "@statefun-ts/protocol";
import type {
  ClusterView,
  CommitBatch,
  CommitResult,
  DeadLetter,
  DelivererLease,
  EgressClaim,
  EgressRow,
  ExpiredRow,
  Fence,
  LoadOptions,
  MessagePage,
  ModuleCatalogChange,
  ModuleCatalogSnapshot,
  OrderedEgressRow,
  ReplyRow,
  SnapshotCounts,
  SnapshotRecord,
  StateEntry,
  StateSpecInfo,
  Store,
  StoredMessage,
  StoreInfo,
} from "@statefun-ts/runtime/spi";
import { toDeadLetter, toReply, toStateEntry } from "@statefun-ts/runtime/spi";
import type Database from "better-sqlite3";
import { backupSqlite } from "./backup.js";
import { type EncodedBatch, EncodedRows } from "./batch-codec.js";
import { SqliteCluster } from "./cluster.js";
import { committer, groupCommitter } from "./commit.js";
import { SqliteConsoleReads } from "./console-reads.js";
import { delivererLeases } from "./deliverer-leases.js";
import { type DynamicLoadingQueries, dynamicLoadingQueries } from "./dynamic-loading.js";
import { deleteOrderedEgress, orderedEgress } from "./egress-delivery.js";
import { EgressFeed } from "./egress-feed.js";
import { DATABASE_FILE, forgetFailedNewStore, openExclusive } from "./lock.js";
import { keyGroupsOf, migrate } from "./migrations.js";
import { expiredState, loadMessages, loadTimers, peekEgress } from "./queries.js";
import { SeqRanges } from "./seq-ranges.js";
import { loadSqliteSnapshot } from "./snapshot-load.js";
import { readSqliteSnapshot, snapshotCounts } from "./snapshot-read.js";
import { loadSourcePositions, prepareSourceStatements, type SourceStatements } from "./source-positions.js";
import { prepareStatements, type Statements } from "./statements.js";

export interface SqliteStoreOptions {
  /** The data directory; the database is `${dir}/statefun.db`. Created if missing. */
  readonly dir: string;
  /** Number of key groups of a new store (default 128). An existing store keeps its own. */
  readonly keyGroups?: number;
  /** `full` (default) fsyncs the WAL on every commit; `normal` may lose the last commits on power loss. */
  readonly synchronous?: "full" | "normal";
}

interface Open {
  readonly db: Database.Database;
  readonly s: Statements;
  readonly commit: ReturnType<typeof committer>;
  readonly commitTogether: ReturnType<typeof groupCommitter>;
  readonly keyGroups: number;
  readonly dynamicLoading: DynamicLoadingQueries;
  readonly sources: SourceStatements;
  readonly cluster: SqliteCluster;
  readonly console: SqliteConsoleReads;
}

/**
 * The embedded store: SQLite in WAL mode, one fsync per commit, opened by one process at a time.
 *
 * @example
 * const store = new SqliteStore({ dir: ".statefun" });
 * const { keyGroups } = await store.open();
 */
export class SqliteStore implements Store {
  readonly dir: string;
  private readonly keyGroups: number;
  private readonly synchronous: "full" | "normal";
  private opened: Open | undefined;
  private nextSeq = 1;
  /** Seq ranges `[first, end)` handed out and not yet committed: `loadMessagesSince` reads below the first. */
  private readonly outstanding = new SeqRanges();
  private readonly egressFeed = new EgressFeed();

  constructor(options: SqliteStoreOptions) {
    const keyGroups = options.keyGroups ?? 128;
    if (!Number.isInteger(keyGroups) || keyGroups < 1) {
      throw new StatefunError("STATEFUN_BAD_CONFIG", `keyGroups must be a positive integer, got ${String(options.keyGroups)}`);
    }
    const synchronous = options.synchronous ?? "full";
    if (synchronous !== "full" && synchronous !== "normal") {
      throw new StatefunError("STATEFUN_BAD_CONFIG", `synchronous must be "full" or "normal", got ${JSON.stringify(synchronous)}`);
    }
    this.dir = options.dir;
    this.keyGroups = keyGroups;
    this.synchronous = synchronous;
  }

  get file(): string {
    return join(this.dir, DATABASE_FILE);
  }

  async open(): Promise<StoreInfo> {
    if (this.opened !== undefined) throw new StatefunError("STATEFUN_BAD_CONFIG", `the store at ${this.dir} is already open`);
    const isNew = !existsSync(this.file);
    let db: Database.Database;
    try {
      db = openExclusive(this.dir, this.synchronous);
    } catch (error) {
      if (isNew) forgetFailedNewStore(this.file, error);
      throw error;
    }
    try {
      migrate(db, this.file);
      const keyGroups = keyGroupsOf(db, this.keyGroups);
      const s = prepareStatements(db);
      const sources = prepareSourceStatements(db);
      this.nextSeq = (s.maxSeq.get() as number) + 1;
      this.outstanding.clear();
      this.opened = {
        db,
        s,
        commit: committer(db, s, sources),
        commitTogether: groupCommitter(db, s, sources),
        sources,
        keyGroups,
        cluster: new SqliteCluster(db, s.leaseCache),
        dynamicLoading: dynamicLoadingQueries(db),
        console: new SqliteConsoleReads(db),
      };
      return { keyGroups };
    } catch (error) {
      db.close();
      if (isNew) forgetFailedNewStore(this.file, error);
      throw error;
    }
  }

  async close(): Promise<void> {
    const open = this.opened;
    this.opened = undefined;
    open?.db.close();
  }

  /** Connection settings, for diagnostics and tests. */
  settings(): { journalMode: string; synchronous: number; lockingMode: string; busyTimeout: number } {
    const { db } = this.ready();
    const get = (pragma: string) => db.pragma(pragma, { simple: true });
    return {
      journalMode: get("journal_mode") as string,
      synchronous: get("synchronous") as number,
      lockingMode: get("locking_mode") as string,
      busyTimeout: get("busy_timeout") as number,
    };
  }

  async acquire(owner: string, keyGroups: readonly number[]): Promise<Map<number, number>> {
    const { db, s } = this.ready();
    s.leaseCache.clear();
    return db.transaction(() => new Map(keyGroups.map((kg) => [kg, s.acquireLease.get(kg, owner) as number])))();
  }

  async heartbeat(owner: string, leaseMs: number): Promise<ClusterView> {
    return this.ready().cluster.heartbeat(owner, leaseMs);
  }

  async leave(owner: string): Promise<void> {
    this.ready().cluster.leave(owner);
  }

  async claim(owner: string, keyGroups: readonly number[]): Promise<Map<number, number>> {
    return this.ready().cluster.claim(owner, keyGroups);
  }

  async release(fence: Fence, keyGroups: readonly number[]): Promise<void> {
    this.ready().cluster.release(fence, keyGroups);
  }

  async allocateSeqs(count: number): Promise<number> {
    this.ready();
    const first = this.nextSeq;
    this.nextSeq += count;
    this.outstanding.added(first, count);
    return first;
  }

  async loadSourcePositions(source: string): Promise<Map<string, number>> {
    return loadSourcePositions(this.ready().sources, source);
  }

  async commit(batch: CommitBatch): Promise<CommitResult> {
    const open = this.ready();
    let result: CommitResult;
    try {
      result = open.commit(batch);
    } finally {
      this.settle(batch);
    }
    this.egressFeed.committed(batch, result);
    return result;
  }

  /** `EgressDelivery.onEgressCommitted`: the commits of this object (`commit`, not those of another thread's). */
  onEgressCommitted(listener: Parameters<EgressFeed["subscribe"]>[0]): () => void {
    return this.egressFeed.subscribe(listener);
  }

  /**
   * `commit` of a batch in the form it crossed threads in (`ThreadedSqliteStore`): the same
   * transaction, its rows written straight from the encoded form (see `EncodedRows`).
   */
  async commitEncoded(encoded: EncodedBatch): Promise<CommitResult> {
    return this.commitEncodedTogether([encoded])[0]!;
  }

  /**
   * Batches in the form they crossed threads in, committed in order in one transaction: one
   * commit (and one fsync) for all of them, each result in its place. A failure in any of them
   * rolls all of them back, and throws. Synchronous: once it returns, all of them are durable.
   */
  commitEncodedTogether(list: readonly EncodedBatch[]): CommitResult[] {
    const open = this.ready();
    const rows = list.map((encoded) => new EncodedRows(encoded));
    const batches = rows.map((r) => r.head());
    try {
      return open.commitTogether(batches, rows);
    } finally {
      for (let i = 0; i < rows.length; i++) {
        const [low, high] = rows[i]!.seqRange();
        this.settle(batches[i]!, low, high);
      }
    }
  }

  /**
   * The seqs of a batch are committed (or never will be): their range stops holding back readers
   * (`low` and `high`: of messages not in its lists, an encoded batch's).
   */
  private settle(batch: CommitBatch, low = Number.POSITIVE_INFINITY, high = Number.NEGATIVE_INFINITY): void {
    for (const list of [batch.ingress, batch.messages, ...(batch.sources ?? []).map((a) => a.messages)]) {
      for (const m of list) {
        if (m.seq < low) low = m.seq;
        if (m.seq > high) high = m.seq;
      }
    }
    this.outstanding.settled(low, high);
  }

  async loadMessagesSince(keyGroups: readonly number[], position: number, limit: number): Promise<MessagePage> {
    const { s, keyGroups: all } = this.ready();
    if (limit <= 0) return { messages: [], next: position };
    // Seqs are positions: a range handed out and not committed yet may still commit below the others.
    const horizon = Math.min(this.outstanding.lowest, this.nextSeq) - 1;
    const rows = loadMessages(s, all, keyGroups, position, limit);
    const messages = rows.filter((m) => m.seq <= horizon);
    if (messages.length === limit) return { messages, next: messages.at(-1)!.seq };
    return { messages, next: Math.max(position, horizon) };
  }

  async loadMessages(keyGroups: readonly number[], afterSeq: number, limit: number): Promise<StoredMessage[]> {
    const { s, keyGroups: all } = this.ready();
    return loadMessages(s, all, keyGroups, afterSeq, limit);
  }

  async loadTimers(
    keyGroups: readonly number[],
    after: { dueAt: number; seq: number } | undefined,
    until: number,
    limit: number,
  ): Promise<StoredMessage[]> {
    const { s, keyGroups: all } = this.ready();
    return loadTimers(s, all, keyGroups, after, until, limit);
  }

  async loadState(address: StoredMessage["target"]): Promise<StateEntry[]> {
    return this.ready().s.stateOf.all(address.namespace, address.type, address.id).map(toStateEntry);
  }

  async expiredState(keyGroups: readonly number[], now: number, limit: number): Promise<ExpiredRow[]> {
    const { s, keyGroups: all } = this.ready();
    return expiredState(s, all, keyGroups, now, limit);
  }

  /**
   * Gives up to `pages` free pages back to the file system (`PRAGMA incremental_vacuum`) and
   * returns how many stay free. Stores created before incremental auto-vacuum (an older version)
   * keep their free pages for reuse until a one-off `VACUUM`; for them this returns 0.
   */
  async reclaim(pages: number): Promise<number> {
    const { db } = this.ready();
    if (db.pragma("auto_vacuum", { simple: true }) !== 2) return 0;
    const before = db.pragma("freelist_count", { simple: true }) as number;
    if (before === 0) return 0;
    db.pragma(`incremental_vacuum(${Math.max(1, Math.floor(pages))})`);
    const left = db.pragma("freelist_count", { simple: true }) as number;
    // The last pages are back: cut the WAL back too (it holds the pages the mass deletion dirtied).
    if (left === 0) db.pragma("wal_checkpoint(TRUNCATE)");
    return left;
  }

  /** Pages of the database file that are free (given back by `reclaim`), for diagnostics and benchmarks. */
  freePages(): number {
    return this.ready().db.pragma("freelist_count", { simple: true }) as number;
  }

  async getReply(requestId: string): Promise<ReplyRow | undefined> {
    const row = this.ready().s.replyOf.get(requestId);
    return row === undefined ? undefined : toReply(row);
  }

  async peekEgress(topic: string, limit: number, exclude?: ReadonlySet<number>): Promise<EgressRow[]> {
    return peekEgress(this.ready().s, topic, limit, exclude);
  }

  async egressOrder(): Promise<string> {
    return "id";
  }

  async orderedEgress(after: number, limit: number): Promise<OrderedEgressRow[]> {
    return orderedEgress(this.ready().db, after, limit);
  }

  async deleteOrderedEgress(egress: string, first: number, last: number): Promise<number> {
    return deleteOrderedEgress(this.ready().db, egress, first, last, this.synchronous);
  }

  async claimDeliverer(name: string, owner: string): Promise<DelivererLease> {
    return delivererLeases(this.ready().db).claim(name, owner);
  }

  async releaseDeliverer(name: string, owner: string): Promise<void> {
    delivererLeases(this.ready().db).release(name, owner);
  }

  async claimEgress(topic: string, claimant: string, leaseMs: number): Promise<EgressClaim | undefined> {
    return this.ready().cluster.claimEgress(topic, claimant, leaseMs);
  }

  async idempotencyFingerprint(key: string): Promise<string | undefined> {
    return (this.ready().s.fingerprintOf.get(key) as string | null | undefined) ?? undefined;
  }

  async ackEgress(topic: string, id: number, claimant: string): Promise<boolean> {
    return this.ready().cluster.ackEgress(topic, id, claimant);
  }

  async unclaimEgress(id: number, claimant: string): Promise<void> {
    this.ready().cluster.unclaimEgress(id, claimant);
  }

  async deleteEgress(ids: readonly number[]): Promise<void> {
    const { db, s } = this.ready();
    const bulk = s.deleteEgress;
    try {
      db.transaction(() => {
        for (const id of ids) {
          bulk.put(id);
          bulk.added();
        }
        bulk.flush();
      })();
    } finally {
      bulk.reset();
    }
  }

  async listDeadLetters(limit: number, afterId = 0): Promise<DeadLetter[]> {
    return this.ready().s.deadLettersAfter.all(afterId, limit).map(toDeadLetter);
  }

  async getDeadLetter(id: number): Promise<DeadLetter | undefined> {
    const row = this.ready().s.deadLetterOf.get(id);
    return row === undefined ? undefined : toDeadLetter(row);
  }

  async purge(before: number, limit: number): Promise<number> {
    const { db, s } = this.ready();
    return db.transaction(() => s.purgeReplies.run(before, limit).changes + s.purgeIdempotencyKeys.run(before, limit).changes)();
  }

  async loadStateSpecs(): Promise<Map<string, StateSpecInfo[]>> {
    const specs = new Map<string, StateSpecInfo[]>();
    for (const row of this.ready().s.stateSpecs.all()) {
      const [functionType, name, typename, mode, millis] = row as [string, string, string, string, number];
      const expiration: StateSpecInfo["expiration"] = mode === "after-write" || mode === "after-call" ? { mode, millis } : { mode: "none" };
      let list = specs.get(functionType);
      if (list === undefined) {
        list = [];
        specs.set(functionType, list);
      }
      list.push({ name, typename, expiration });
    }
    return specs;
  }

  async saveStateSpecs(functionType: string, specs: readonly StateSpecInfo[]): Promise<void> {
    const { db, s } = this.ready();
    db.transaction(() => {
      for (const spec of specs) {
        const millis = spec.expiration.mode === "none" ? 0 : spec.expiration.millis;
        s.upsertStateSpec.run(functionType, spec.name, spec.typename, spec.expiration.mode, millis);
      }
    })();
  }

  async loadModuleCatalog(): Promise<ModuleCatalogSnapshot> {
    return this.ready().dynamicLoading.load();
  }

  async moduleCatalogVersion(): Promise<number> {
    return this.ready().dynamicLoading.version();
  }

  async changeModuleCatalog(change: ModuleCatalogChange): Promise<number> {
    return this.ready().dynamicLoading.change(change);
  }

  async loadMessagesOfType(
    keyGroups: readonly number[],
    functionType: string,
    afterSeq: number,
    upToSeq: number,
    limit: number,
  ): Promise<StoredMessage[]> {
    const { dynamicLoading, keyGroups: all } = this.ready();
    return dynamicLoading.messagesOfType(keyGroups, all, functionType, afterSeq, upToSeq, limit);
  }

  async parkedTypes(): Promise<Map<string, number>> {
    return this.ready().dynamicLoading.parkedTypes();
  }

  async setParked(functionType: string, since: number | undefined): Promise<void> {
    this.ready().dynamicLoading.setParked(functionType, since);
  }

  async listInstances(functionType: { namespace: string; type: string }, afterId: string | undefined, limit: number): Promise<string[]> {
    return this.ready().console.listInstances(functionType, afterId, limit);
  }

  async egressDepth(): Promise<Map<string, number>> {
    return this.ready().console.egressDepth();
  }

  async stats(): Promise<{ messages: number; timers: number; egress: number; deadLetters: number }> {
    const [messages, timers, egress, deadLetters] = this.ready().s.stats.get() as number[];
    return { messages: messages ?? 0, timers: timers ?? 0, egress: egress ?? 0, deadLetters: deadLetters ?? 0 };
  }

  readSnapshot(pageSize = 1000): AsyncIterable<SnapshotRecord> {
    return readSqliteSnapshot(this.ready().db, pageSize);
  }

  async snapshotCounts(): Promise<SnapshotCounts> {
    return snapshotCounts(this.ready().db);
  }

  async loadSnapshot(records: AsyncIterable<SnapshotRecord>, options: LoadOptions = {}): Promise<SnapshotCounts> {
    const open = this.ready();
    const counts = await loadSqliteSnapshot(open.db, records, { ...options, where: `the store at ${this.dir}` });
    this.nextSeq = Math.max(this.nextSeq, (open.s.maxSeq.get() as number) + 1);
    return counts;
  }

  /** An online copy of the database to `file` (a new file), while the store keeps committing; the counts of the copy. */
  backup(file: string): Promise<SnapshotCounts> {
    return backupSqlite(this.ready().db, file);
  }

  private ready(): Open {
    if (this.opened === undefined) throw new StatefunError("STATEFUN_CLOSED", `the store at ${this.dir} is not open`);
    return this.opened;
  }
}
