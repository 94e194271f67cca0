// The worker thread of `ThreadedSqliteStore`: it opens the one connection (a `SqliteStore`) and
// runs the calls posted to it one at a time, in the order they were posted, so commits apply in
// order and a read sees every commit posted before it. It answers each call once its work is
// done, a commit once its transaction (and fsync) is durable.
import { parentPort, workerData } from "node:worker_threads";
import { decodeBatch, type EncodedBatch } from "./batch-codec.js";
import { SqliteStore, type SqliteStoreOptions } from "./sqlite-store.js";
import { type Call, COMMIT_ENCODED, type Reply } from "./thread-calls.js";

const port = parentPort;
if (port === null) throw new Error("store-thread.js runs as a worker thread of ThreadedSqliteStore");
const store = new SqliteStore(workerData as SqliteStoreOptions);
const methods = store as unknown as Record<string, (...args: unknown[]) => unknown>;

port.on("message", (call: Call) => {
  let result: unknown;
  try {
    // Every method does its SQLite work synchronously: calls run strictly one after another.
    result =
      call.method === COMMIT_ENCODED
        ? store.commit(decodeBatch(call.args[0] as EncodedBatch))
        : methods[call.method]!.apply(store, call.args as unknown[]);
  } catch (error) {
    port.postMessage(failed(call.id, error));
    return;
  }
  Promise.resolve(result).then(
    (value) => port.postMessage({ id: call.id, value } satisfies Reply),
    (error: unknown) => port.postMessage(failed(call.id, error)),
  );
});

function failed(id: number, error: unknown): Reply {
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
