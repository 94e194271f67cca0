import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { StatefunError } from "@statefun-ts/protocol";
import type { CommitBatch, CommitResult, StateEntry, Store, StoredMessage, StoreInfo } from "@statefun-ts/runtime/spi";
import { encodeBatch } from "./batch-codec.js";
import { EgressFeed } from "./egress-feed.js";
import { DATABASE_FILE } from "./lock.js";
import { SqliteStore, type SqliteStoreOptions } from "./sqlite-store.js";
import { answered, type Call, COMMIT_ENCODED, LOAD_STATES, type Reply, rethrown } from "./thread-calls.js";

/** Every method of `SqliteStore` but its life cycle, as this store offers it: asynchronous, run on the store's thread. */
type Forwarded = {
  [K in Exclude<
    keyof SqliteStore,
    "open" | "close" | "dir" | "file" | "commitEncoded" | "commitEncodedTogether" | "onEgressCommitted"
  >]: SqliteStore[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

/**
 * The thread's script. The tests run this file from the sources (`.ts`), where the worker, a
 * plain Node thread, cannot load TypeScript: it then runs the built one in `dist`.
 */
const THREAD_SCRIPT = import.meta.url.endsWith(".ts")
  ? new URL("../dist/store-thread.js", import.meta.url)
  : new URL("./store-thread.js", import.meta.url);

/**
 * The embedded store with its SQLite work on a worker thread: the same database, schema and
 * transactions as `SqliteStore` (the thread runs one), but the engine's thread only posts
 * calls and goes on invoking while a commit and its fsync run (`commitsOffThread`).
 *
 * The thread holds the one connection and runs the calls in the order they were posted: commits
 * apply in order, a read sees every commit posted before it, and a commit's promise resolves
 * only once its transaction is durable, so nothing leaves the process before that. A crash
 * takes the thread with the process: what was not committed rolls back together.
 *
 * @example
 * const store = new ThreadedSqliteStore({ dir: ".statefun" });
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: its static block defines the methods the interface below declares.
export class ThreadedSqliteStore {
  readonly dir: string;
  readonly commitsOffThread = true;
  readonly queuesCommits = true;
  private readonly options: SqliteStoreOptions;
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: unknown) => void }>();
  /** The id of the last commit posted (the thread refuses the next one if it failed while unanswered). */
  private lastCommit = 0;
  private readonly egressFeed = new EgressFeed();
  /** State loads asked for in this turn and not yet posted (see `loadState`). */
  private loads: { address: StoredMessage["target"]; resolve: (entries: StateEntry[]) => void; reject: (error: unknown) => void }[] = [];

  static {
    // Each `SqliteStore` method but the life cycle is posted to the thread: a method other
    // branches add to `SqliteStore` is forwarded here too.
    const local = new Set([
      "constructor",
      "open",
      "close",
      "file",
      "commit",
      "commitEncoded",
      "commitEncodedTogether",
      "loadState",
      "onEgressCommitted",
    ]);
    for (const name of Object.getOwnPropertyNames(SqliteStore.prototype)) {
      if (local.has(name)) continue;
      Object.defineProperty(ThreadedSqliteStore.prototype, name, {
        value(this: ThreadedSqliteStore, ...args: unknown[]) {
          return this.call(name, args);
        },
        writable: true,
        configurable: true,
      });
    }
  }

  constructor(options: SqliteStoreOptions) {
    // Checks the options here, where the caller is, not on the thread.
    this.dir = new SqliteStore(options).dir;
    this.options = { ...options };
  }

  get file(): string {
    return join(this.dir, DATABASE_FILE);
  }

  async open(): Promise<StoreInfo> {
    if (this.worker !== undefined) throw new StatefunError("STATEFUN_BAD_CONFIG", `the store at ${this.dir} is already open`);
    const worker = new Worker(THREAD_SCRIPT, { workerData: this.options });
    this.worker = worker;
    worker.on("message", (reply: Reply) => this.answer(reply));
    worker.on("error", (error) =>
      this.fail(new StatefunError("STATEFUN_CLOSED", `the store thread of ${this.dir} failed: ${error.message}`, { cause: error })),
    );
    worker.on("exit", (code) => this.fail(new StatefunError("STATEFUN_CLOSED", `the store thread of ${this.dir} exited (${code})`)));
    try {
      return (await this.call("open", [])) as StoreInfo;
    } catch (error) {
      this.worker = undefined;
      await worker.terminate();
      throw error;
    }
  }

  async close(): Promise<void> {
    const worker = this.worker;
    if (worker === undefined) return;
    try {
      await this.call("close", []);
    } finally {
      this.worker = undefined;
      await worker.terminate();
    }
  }

  /**
   * Posts the batch in its compact form (see `EncodedBatch`); resolves once it is durable. A commit
   * posted while the one before is unanswered depends on it: the thread refuses it, unapplied, if
   * that one failed (`queuesCommits`), so that what was built on a failed commit never applies.
   */
  commit(batch: CommitBatch): Promise<CommitResult> {
    const { encoded, transfer } = encodeBatch(batch);
    const after = this.pending.has(this.lastCommit) ? this.lastCommit : undefined;
    this.lastCommit = this.nextId;
    const committed = this.call(COMMIT_ENCODED, [encoded], transfer, after) as Promise<CommitResult>;
    return committed.then((result) => {
      this.egressFeed.committed(batch, result);
      return result;
    });
  }

  /** `EgressDelivery.onEgressCommitted`: the commits posted through this object, told as their replies come (in order). */
  onEgressCommitted(listener: Parameters<EgressFeed["subscribe"]>[0]): () => void {
    return this.egressFeed.subscribe(listener);
  }

  /**
   * The state of `address`. The loads asked for in one turn (the engine starts many cold
   * addresses at once: a backlog, a burst of new keys) go to the thread as one call, posted at the
   * end of the turn or before any other call posted meanwhile, so each still sees every commit
   * posted before it was asked for: one round trip between the threads for all of them instead of
   * one each.
   */
  loadState(address: StoredMessage["target"]): Promise<StateEntry[]> {
    if (this.worker === undefined) return Promise.reject(this.notOpen());
    return new Promise((resolve, reject) => {
      if (this.loads.push({ address, resolve, reject }) === 1) queueMicrotask(this.postLoads);
    });
  }

  /** Posts the state loads asked for (made once: a closure per turn would cost an allocation). */
  private readonly postLoads = (): void => {
    const loads = this.loads;
    if (loads.length === 0) return;
    this.loads = [];
    if (loads.length === 1) {
      const { address, resolve, reject } = loads[0]!;
      this.call("loadState", [address]).then((value) => resolve(value as StateEntry[]), reject);
      return;
    }
    this.call(LOAD_STATES, [loads.map((l) => l.address)]).then(
      (value) => {
        const all = value as StateEntry[][];
        for (let i = 0; i < loads.length; i++) loads[i]!.resolve(all[i]!);
      },
      (error: unknown) => {
        for (const l of loads) l.reject(error);
      },
    );
  };

  private notOpen(): StatefunError {
    return new StatefunError("STATEFUN_CLOSED", `the store at ${this.dir} is not open`);
  }

  private call(method: string, args: readonly unknown[], transfer: ArrayBuffer[] = [], after?: number): Promise<unknown> {
    // State loads asked for before this call go to the thread before it (they must not see it, nor miss what came before).
    if (this.loads.length > 0 && method !== LOAD_STATES) this.postLoads();
    const worker = this.worker;
    if (worker === undefined) return Promise.reject(this.notOpen());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, method, args, after } satisfies Call, transfer);
    });
  }

  private answer(reply: Reply): void {
    const waiter = this.pending.get(reply.id);
    if (waiter === undefined) return;
    this.pending.delete(reply.id);
    if (reply.error === undefined) waiter.resolve(answered(reply));
    else waiter.reject(rethrown(reply.error));
  }

  /** The thread is gone: every call still waiting fails (a commit with it: it may or may not have committed). */
  private fail(error: StatefunError): void {
    this.worker = undefined;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}

// The forwarded methods, for the type checker (the class's static block defines every one of them).
export interface ThreadedSqliteStore extends Omit<Forwarded, keyof Store>, Store {}
