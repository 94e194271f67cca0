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
  StoreChange,
  StoredMessage,
  StoreInfo,
} from "@statefun-ts/runtime/spi";
import { type Row, toDeadLetter, toEgressRow, toExpiredRow, toMessage, toReply, toStateEntry } from "@statefun-ts/runtime/spi";
import type pg from "pg";
import { int4Array, int8Array, textArray } from "./arrays.js";
import { PostgresCluster } from "./cluster.js";
import { commitBatch } from "./commit.js";
import { type Connection, checkSchema, connectionConfig, createPool, describe, withClient } from "./connect.js";
import { egressDepth, listInstances } from "./console-reads.js";
import { PostgresDelivererLeases } from "./deliverer-leases.js";
import { PostgresDynamicLoading } from "./dynamic-loading.js";
import { orderedEgress } from "./egress-delivery.js";
import { keyGroupsOf, migrate } from "./migrations.js";
import { channelOf } from "./notify.js";
import { loadMessagesSince } from "./since.js";
import { loadPostgresSnapshot } from "./snapshot-load.js";
import { postgresCounts, readPostgresSnapshot } from "./snapshot-read.js";
import { loadSourcePositions } from "./source-positions.js";
import { type Named, SQL } from "./statements.js";
import { Watcher } from "./watch.js";

export type PostgresStoreOptions = Connection & {
  /** The schema holding the store's tables, created if missing (default `statefun`). Workers of one cluster share it. */
  readonly schema?: string;
  /** Number of key groups of a new store (default 128). An existing store keeps its own. */
  readonly keyGroups?: number;
  /** Connections of the pool (default 8): one commits at a time, the others serve reads. */
  readonly maxConnections?: number;
};

interface Open {
  readonly pool: pg.Pool;
  readonly keyGroups: number;
  readonly watcher: Watcher;
}

/**
 * The cluster store: PostgreSQL, shared by the workers of a cluster. Every commit is one
 * transaction (`synchronous_commit = on`) that first checks, under a share lock, the lease epochs
 * of the key groups it writes, so a worker that lost a key group can never write to it again.
 *
 * @example
 * const store = new PostgresStore({ url: "postgres://statefun@127.0.0.1:5432/statefun" });
 * const { keyGroups } = await store.open();
 */
export class PostgresStore implements Store {
  readonly schema: string;
  private readonly connection: Connection;
  private readonly keyGroups: number;
  private readonly maxConnections: number;
  private readonly cluster = new PostgresCluster((statement, values) => this.rows(statement, values));
  private readonly deliverers = new PostgresDelivererLeases((statement, values) => this.rows(statement, values));
  private readonly dynamicLoading = new PostgresDynamicLoading((statement, values) => this.rows(statement, values));
  private opened: Open | undefined;

  constructor(options: PostgresStoreOptions) {
    const keyGroups = options.keyGroups ?? 128;
    if (!Number.isInteger(keyGroups) || keyGroups < 1 || keyGroups > 2 ** 31 - 1) {
      throw new StatefunError("STATEFUN_BAD_CONFIG", `keyGroups must be a positive integer, got ${String(options.keyGroups)}`);
    }
    const maxConnections = options.maxConnections ?? 8;
    if (!Number.isInteger(maxConnections) || maxConnections < 1) {
      throw new StatefunError("STATEFUN_BAD_CONFIG", `maxConnections must be a positive integer, got ${String(options.maxConnections)}`);
    }
    if (
      "url" in options ? typeof options.url !== "string" || options.url === "" : typeof options.pool !== "object" || options.pool === null
    ) {
      const given = "url" in options ? `url ${JSON.stringify(options.url)}` : "no url";
      throw new StatefunError("STATEFUN_BAD_CONFIG", `a PostgresStore needs a url (postgres://…) or pool settings, got ${given}`);
    }
    this.schema = checkSchema(options.schema ?? "statefun");
    this.connection = "url" in options ? { url: options.url } : { pool: options.pool };
    this.keyGroups = keyGroups;
    this.maxConnections = maxConnections;
  }

  /** Where the store lives, without a password: `postgres://user@host:port/db (schema s)`. */
  get location(): string {
    return `${describe(this.connection)} (schema ${this.schema})`;
  }

  async open(): Promise<StoreInfo> {
    if (this.opened !== undefined) throw new StatefunError("STATEFUN_BAD_CONFIG", `the store at ${this.location} is already open`);
    const pool = createPool(this.connection, this.schema, this.maxConnections);
    try {
      await pool.query("SELECT 1").catch((cause: Error) => {
        throw new StatefunError("STATEFUN_BAD_CONFIG", `cannot connect to ${this.location}: ${cause.message}`, { cause });
      });
      const keyGroups = await withClient(pool, async (client) => {
        await migrate(client, this.schema);
        const keyGroups = await keyGroupsOf(client, this.keyGroups);
        await client.query(SQL.raiseSeqs);
        return keyGroups;
      });
      // The listening connection: TCP keepalive, so a connection lost silently is noticed and replaced.
      const config = { connectionTimeoutMillis: 10_000, ...connectionConfig(this.connection, this.schema), keepAlive: true };
      const watcher = new Watcher(config, channelOf(this.schema));
      this.opened = { pool, keyGroups, watcher };
      return { keyGroups, shared: true };
    } catch (error) {
      await pool.end();
      throw error;
    }
  }

  /** Settings of the store's connections, for diagnostics and tests. */
  async settings(): Promise<{ synchronousCommit: string; searchPath: string; planCacheMode: string }> {
    const { rows } = await this.ready().pool.query<{ s: string; p: string; m: string }>(
      "SELECT current_setting('synchronous_commit') AS s, current_setting('search_path') AS p, current_setting('plan_cache_mode') AS m",
    );
    const row = rows[0]!;
    return { synchronousCommit: row.s, searchPath: row.p, planCacheMode: row.m };
  }

  async close(): Promise<void> {
    const open = this.opened;
    this.opened = undefined;
    open?.watcher.stop();
    await open?.pool.end();
  }

  async acquire(owner: string, keyGroups: readonly number[]): Promise<Map<number, number>> {
    // Sorted, so that two workers acquiring at once lock the rows in the same order.
    const groups = [...new Set(keyGroups)].sort((a, b) => a - b);
    if (groups.length === 0) return new Map();
    const rows = await this.rows(SQL.acquireLeases, [int4Array(groups), owner]);
    const epochs = new Map(rows.map(([kg, epoch]) => [kg as number, epoch as number]));
    return new Map(keyGroups.map((kg) => [kg, epochs.get(kg)!]));
  }

  async allocateSeqs(count: number): Promise<number> {
    if (!Number.isInteger(count) || count < 0)
      throw new StatefunError("STATEFUN_BAD_CONFIG", `allocateSeqs needs a count >= 0, got ${count}`);
    const [row] = await this.rows(SQL.allocateSeqs, [count]);
    return row![0] as number;
  }

  loadSourcePositions(source: string): Promise<Map<string, number>> {
    return withClient(this.ready().pool, (client) => loadSourcePositions(client, source));
  }

  async commit(batch: CommitBatch): Promise<CommitResult> {
    const { pool, watcher } = this.ready();
    // A watch just started: its LISTEN comes first, so it hears this commit too.
    if (watcher.ready !== undefined) await watcher.ready;
    return withClient(pool, (client) => commitBatch(client, batch, channelOf(this.schema)));
  }

  heartbeat(owner: string, leaseMs: number): Promise<ClusterView> {
    return this.cluster.heartbeat(owner, leaseMs);
  }

  leave(owner: string): Promise<void> {
    return this.cluster.leave(owner);
  }

  async claim(owner: string, keyGroups: readonly number[]): Promise<Map<number, number>> {
    return this.cluster.claim(owner, this.groups(keyGroups));
  }

  release(fence: Fence, keyGroups: readonly number[]): Promise<void> {
    return this.cluster.release(fence, this.groups(keyGroups));
  }

  async loadMessagesSince(keyGroups: readonly number[], position: number, limit: number): Promise<MessagePage> {
    return loadMessagesSince((statement, values) => this.rows(statement, values), this.groups(keyGroups), position, limit);
  }

  claimEgress(topic: string, claimant: string, leaseMs: number): Promise<EgressClaim | undefined> {
    return this.cluster.claimEgress(topic, claimant, leaseMs);
  }

  ackEgress(topic: string, id: number, claimant: string): Promise<boolean> {
    return this.cluster.ackEgress(topic, id, claimant);
  }

  unclaimEgress(id: number, claimant: string): Promise<void> {
    return this.cluster.unclaimEgress(id, claimant);
  }

  /**
   * Calls `listener` after each commit of any worker of this schema that inserted messages or
   * replies (`LISTEN`/`NOTIFY` on a dedicated connection, reconnecting when it drops).
   */
  watch(listener: (change: StoreChange) => void): () => void {
    return this.ready().watcher.add(listener);
  }

  loadModuleCatalog(): Promise<ModuleCatalogSnapshot> {
    return this.dynamicLoading.load();
  }

  moduleCatalogVersion(): Promise<number> {
    return this.dynamicLoading.version();
  }

  changeModuleCatalog(change: ModuleCatalogChange): Promise<number> {
    return this.dynamicLoading.change(change);
  }

  async loadMessagesOfType(
    keyGroups: readonly number[],
    functionType: string,
    afterSeq: number,
    upToSeq: number,
    limit: number,
  ): Promise<StoredMessage[]> {
    return this.dynamicLoading.messagesOfType(this.groups(keyGroups), functionType, afterSeq, upToSeq, limit);
  }

  parkedTypes(): Promise<Map<string, number>> {
    return this.dynamicLoading.parkedTypes();
  }

  setParked(functionType: string, since: number | undefined): Promise<void> {
    return this.dynamicLoading.setParked(functionType, since);
  }

  async loadMessages(keyGroups: readonly number[], afterSeq: number, limit: number): Promise<StoredMessage[]> {
    const groups = this.groups(keyGroups);
    if (limit <= 0 || groups.length === 0) return [];
    return (await this.rows(SQL.messagesAfter, [afterSeq, int4Array(groups), limit])).map((row) => toMessage(row));
  }

  async loadTimers(
    keyGroups: readonly number[],
    after: { dueAt: number; seq: number } | undefined,
    until: number,
    limit: number,
  ): Promise<StoredMessage[]> {
    const groups = this.groups(keyGroups);
    if (limit <= 0 || groups.length === 0) return [];
    const dueAt = after?.dueAt ?? Number.MIN_SAFE_INTEGER;
    const seq = after?.seq ?? Number.MIN_SAFE_INTEGER;
    return (await this.rows(SQL.timersAfter, [dueAt, seq, until, int4Array(groups), limit])).map((row) => toMessage(row));
  }

  async loadState(address: StoredMessage["target"]): Promise<StateEntry[]> {
    return (await this.rows(SQL.stateOf, [address.namespace, address.type, address.id])).map(toStateEntry);
  }

  /**
   * Read through the partial index `state_expiry` in expiry order. No `reclaim`: PostgreSQL's
   * autovacuum makes the space of deleted rows reusable by itself.
   */
  async expiredState(keyGroups: readonly number[], now: number, limit: number): Promise<ExpiredRow[]> {
    const groups = this.groups(keyGroups);
    if (limit <= 0 || groups.length === 0) return [];
    return (await this.rows(SQL.expiredState, [now, int4Array(groups), limit])).map(toExpiredRow);
  }

  async idempotencyFingerprint(key: string): Promise<string | undefined> {
    const [row] = await this.rows(SQL.fingerprintOf, [key]);
    return (row?.[0] as string | null | undefined) ?? undefined;
  }

  async getReply(requestId: string): Promise<ReplyRow | undefined> {
    const [row] = await this.rows(SQL.replyOf, [requestId]);
    return row === undefined ? undefined : toReply(row);
  }

  async peekEgress(topic: string, limit: number, exclude?: ReadonlySet<number>): Promise<EgressRow[]> {
    if (limit <= 0) return [];
    return (await this.rows(SQL.egressOfTopic, [topic, int8Array([...(exclude ?? [])]), limit])).map(toEgressRow);
  }

  claimDeliverer(name: string, owner: string): Promise<DelivererLease> {
    return this.deliverers.claim(name, owner);
  }

  releaseDeliverer(name: string, owner: string): Promise<void> {
    return this.deliverers.release(name, owner);
  }

  async egressOrder(): Promise<string> {
    return "commit-seq";
  }

  orderedEgress(after: number, limit: number, floor?: number): Promise<OrderedEgressRow[]> {
    return orderedEgress((statement, values) => this.rows(statement, values), after, limit, floor);
  }

  async deleteEgress(ids: readonly number[]): Promise<void> {
    if (ids.length > 0) await this.rows(SQL.deleteEgress, [int8Array(ids)]);
  }

  async listDeadLetters(limit: number, afterId = 0): Promise<DeadLetter[]> {
    if (limit <= 0) return [];
    return (await this.rows(SQL.deadLettersAfter, [afterId, limit])).map(toDeadLetter);
  }

  async getDeadLetter(id: number): Promise<DeadLetter | undefined> {
    const [row] = await this.rows(SQL.deadLetterOf, [id]);
    return row === undefined ? undefined : toDeadLetter(row);
  }

  async purge(before: number, limit: number): Promise<number> {
    const { pool } = this.ready();
    if (limit <= 0) return 0;
    const replies = await pool.query({ ...SQL.purgeReplies, values: [before, limit] });
    const keys = await pool.query({ ...SQL.purgeIdempotencyKeys, values: [before, limit] });
    return (replies.rowCount ?? 0) + (keys.rowCount ?? 0);
  }

  async loadStateSpecs(): Promise<Map<string, StateSpecInfo[]>> {
    const specs = new Map<string, StateSpecInfo[]>();
    for (const row of await this.rows(SQL.stateSpecs, [])) {
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
    const last = [...new Map(specs.map((spec) => [spec.name, spec])).values()];
    if (last.length === 0) return;
    await this.rows(SQL.upsertStateSpecs, [
      functionType,
      textArray(last.map((s) => s.name)),
      textArray(last.map((s) => s.typename)),
      textArray(last.map((s) => s.expiration.mode)),
      int8Array(last.map((s) => (s.expiration.mode === "none" ? 0 : s.expiration.millis))),
    ]);
  }

  async listInstances(functionType: { namespace: string; type: string }, afterId: string | undefined, limit: number): Promise<string[]> {
    return listInstances((statement, values) => this.rows(statement, values), functionType, afterId, limit);
  }

  async egressDepth(): Promise<Map<string, number>> {
    return egressDepth((statement, values) => this.rows(statement, values));
  }

  async stats(): Promise<{ messages: number; timers: number; egress: number; deadLetters: number }> {
    const [row] = await this.rows(SQL.stats, []);
    const [messages, timers, egress, deadLetters] = row as number[];
    return { messages: messages ?? 0, timers: timers ?? 0, egress: egress ?? 0, deadLetters: deadLetters ?? 0 };
  }

  readSnapshot(pageSize = 1000): AsyncIterable<SnapshotRecord> {
    return readPostgresSnapshot(this.ready().pool, pageSize);
  }

  snapshotCounts(): Promise<SnapshotCounts> {
    return postgresCounts(this.ready().pool);
  }

  loadSnapshot(records: AsyncIterable<SnapshotRecord>, options: LoadOptions = {}): Promise<SnapshotCounts> {
    return loadPostgresSnapshot(this.ready().pool, records, { ...options, where: `the store at ${this.location}` });
  }

  /** Runs a named statement on any connection of the pool; rows as arrays. */
  private async rows(statement: Named, values: unknown[]): Promise<Row[]> {
    const result = await this.ready().pool.query<unknown[]>({ ...statement, values, rowMode: "array" });
    return result.rows;
  }

  /** The distinct valid key groups asked for. */
  private groups(keyGroups: readonly number[]): number[] {
    const all = this.ready().keyGroups;
    return [...new Set(keyGroups)].filter((kg) => Number.isInteger(kg) && kg >= 0 && kg < all);
  }

  private ready(): Open {
    if (this.opened === undefined) throw new StatefunError("STATEFUN_CLOSED", `the store at ${this.location} is not open`);
    return this.opened;
  }
}
