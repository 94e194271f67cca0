// The worker thread of `ThreadedSqliteStore`: it opens the one connection (a `SqliteStore`) and
// runs the calls posted to it one at a time, in the order they were posted, so commits apply in
// order and a read sees every commit posted before it. It answers each call once its work is
// done, a commit once its transaction (and fsync) is durable.
import { parentPort, workerData } from "node:worker_threads";
import type { EncodedBatch } from "./batch-codec.js";
import { SqliteStore, type SqliteStoreOptions } from "./sqlite-store.js";
import { type Call, COMMIT_ENCODED, type Reply, type ThrownError } from "./thread-calls.js";

const port = parentPort;
if (port === null) throw new Error("store-thread.js runs as a worker thread of ThreadedSqliteStore");
const store = new SqliteStore(workerData as SqliteStoreOptions);
const methods = store as unknown as Record<string, (...args: unknown[]) => unknown>;

/** Commits that failed (or were refused) and that a later commit may depend on, with their error. */
const failedCommits = new Map<number, ThrownError>();

port.on("message", (call: Call) => {
  if (call.method === COMMIT_ENCODED) {
    const before = call.after === undefined ? undefined : failedCommits.get(call.after);
    if (call.after !== undefined) failedCommits.delete(call.after);
    if (before !== undefined) {
      // Built on a commit that failed: applying it would put the store ahead of what committed.
      const error = { ...before, message: `not applied, the commit before it failed: ${before.message}` };
      failedCommits.set(call.id, error);
      port.postMessage({ id: call.id, error } satisfies Reply);
      return;
    }
  }
  let result: unknown;
  try {
    // Every method does its SQLite work synchronously: calls run strictly one after another.
    result =
      call.method === COMMIT_ENCODED
        ? store.commitEncoded(call.args[0] as EncodedBatch)
        : methods[call.method]!.apply(store, call.args as unknown[]);
  } catch (error) {
    answerFailed(call, error);
    return;
  }
  Promise.resolve(result).then(
    (value) => port.postMessage({ id: call.id, value } satisfies Reply),
    (error: unknown) => answerFailed(call, error),
  );
});

function answerFailed(call: Call, error: unknown): void {
  const reply = failed(call.id, error);
  if (call.method === COMMIT_ENCODED) failedCommits.set(call.id, reply.error);
  port!.postMessage(reply);
}

function failed(id: number, error: unknown): Reply & { error: ThrownError } {
  const e = error as { name?: string; message?: string; code?: unknown; terminal?: unknown };
  return {
    id,
    error: {
      name: String(e?.name ?? "Error"),
      message: String(e?.message ?? error),
      code: typeof e?.code === "string" ? e.code : undefined,
      terminal: typeof e?.terminal === "boolean" ? e.terminal : undefined,
    },
  };
}
