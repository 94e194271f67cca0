// The worker thread of `ThreadedSqliteStore`: it opens the one connection (a `SqliteStore`) and
// runs the calls posted to it one at a time, in the order they were posted, so commits apply in
// order and a read sees every commit posted before it. It answers each call once its work is
// done, a commit once its transaction (and fsync) is durable.
//
// Commits that wait on the port when one comes (the thread is behind) go in one transaction with
// it (`commitEncodedTogether`): one fsync, and fewer pages written per message, for all of them.
// Each is still answered on its own, once that transaction is durable. If it fails, it rolled
// back whole, and the same commits run again one at a time, so each is answered (or refused) as
// if it had never been grouped.
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import type { MessagePage, StoredMessage } from "@statefun-ts/runtime/spi";
import type { EncodedBatch } from "./batch-codec.js";
import { SqliteStore, type SqliteStoreOptions } from "./sqlite-store.js";
import { type Call, COMMIT_ENCODED, LOAD_STATES, MESSAGE_READS, messagesReply, type Reply, type ThrownError } from "./thread-calls.js";

const port = parentPort;
if (port === null) throw new Error("store-thread.js runs as a worker thread of ThreadedSqliteStore");
const store = new SqliteStore(workerData as SqliteStoreOptions);
const methods = store as unknown as Record<string, (...args: unknown[]) => unknown>;

/** Commits in one transaction at most, and messages in all of them (past the first commit). */
const GROUP_COMMITS = 8;
const GROUP_MESSAGES = 20_000;

/** Commits that failed (or were refused) and that a later commit may depend on, with their error. */
const failedCommits = new Map<number, ThrownError>();

port.on("message", (first: Call) => {
  // A call taken off the port while gathering commits runs right after them, in its order.
  for (let call: Call | undefined = first; call !== undefined; ) {
    if (call.method !== COMMIT_ENCODED) {
      runCall(call);
      call = undefined;
      continue;
    }
    const group = [call];
    let messages = (call.args[0] as EncodedBatch).messageCount;
    call = undefined;
    while (group.length < GROUP_COMMITS && messages < GROUP_MESSAGES) {
      const next = receiveMessageOnPort(port)?.message as Call | undefined;
      if (next === undefined) break;
      if (next.method !== COMMIT_ENCODED) {
        call = next;
        break;
      }
      group.push(next);
      messages += (next.args[0] as EncodedBatch).messageCount;
    }
    commitGroup(group);
  }
});

/** Commits `group` (posted in this order) in one transaction, those not refused; one at a time if it fails. */
function commitGroup(group: readonly Call[]): void {
  const runnable: Call[] = [];
  for (const call of group) if (!refused(call)) runnable.push(call);
  if (runnable.length === 0) return;
  if (runnable.length > 1) {
    let results: unknown[];
    try {
      results = store.commitEncodedTogether(runnable.map((call) => call.args[0] as EncodedBatch));
    } catch {
      // Rolled back whole: each commit again on its own, answered as it would have been alone.
      commitOneByOne(runnable);
      return;
    }
    for (let i = 0; i < runnable.length; i++) port!.postMessage({ id: runnable[i]!.id, value: results[i] } satisfies Reply);
    return;
  }
  commitOneByOne(runnable);
}

/** Each commit in its own transaction, refused when the one it depends on failed meanwhile. */
function commitOneByOne(calls: readonly Call[]): void {
  for (let i = 0; i < calls.length; i++) {
    const call = calls[i]!;
    if (i > 0 && refused(call)) continue;
    let value: unknown;
    try {
      value = store.commitEncodedTogether([call.args[0] as EncodedBatch])[0];
    } catch (error) {
      answerFailed(call, error);
      continue;
    }
    port!.postMessage({ id: call.id, value } satisfies Reply);
  }
}

/**
 * A commit built on one that failed (posted before it, unanswered then): applying it would put the
 * store ahead of what committed. Refuses it (answered, remembered as failed); true when it did.
 */
function refused(call: Call): boolean {
  if (call.after === undefined) return false;
  const before = failedCommits.get(call.after);
  failedCommits.delete(call.after);
  if (before === undefined) return false;
  const error = { ...before, message: `not applied, the commit before it failed: ${before.message}` };
  failedCommits.set(call.id, error);
  port!.postMessage({ id: call.id, error } satisfies Reply);
  return true;
}

function runCall(call: Call): void {
  let result: unknown;
  try {
    // Every method does its SQLite work synchronously: calls run strictly one after another.
    result =
      call.method === LOAD_STATES
        ? Promise.all((call.args[0] as Parameters<SqliteStore["loadState"]>[0][]).map((address) => store.loadState(address)))
        : methods[call.method]!.apply(store, call.args as unknown[]);
  } catch (error) {
    answerFailed(call, error);
    return;
  }
  Promise.resolve(result).then(
    (value) => {
      if (!MESSAGE_READS.has(call.method)) return port!.postMessage({ id: call.id, value } satisfies Reply);
      const { reply, transfer } = messagesReply(call.id, value as StoredMessage[] | MessagePage);
      port!.postMessage(reply, transfer);
    },
    (error: unknown) => answerFailed(call, error),
  );
}

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
