import { StatefunError } from "@statefun-ts/protocol";
import type { CommitBatch, CommitResult, IngressMessage, StoredMessage } from "@statefun-ts/runtime";
import type { PoolClient } from "pg";
import { byteaArray, int4Array, int8Array, textArray } from "./arrays.js";
import { messageColumns } from "./rows.js";
import { SQL } from "./statements.js";
import { collapseState, lastReplies } from "./writes.js";

const INT4_MAX = 2 ** 31 - 1;

/**
 * Checks, and share-locks until the end of the transaction, the lease of every key group the
 * batch touches: an `acquire` by another worker waits for this commit, and a commit that comes
 * after one sees its new epoch and is refused.
 */
async function checkFence(client: PoolClient, batch: CommitBatch): Promise<void> {
  const { owner, epochs } = batch.fence;
  const touched = [...batch.touchedKeyGroups];
  if (touched.length === 0) return;
  const valid = touched.filter((kg) => Number.isInteger(kg) && kg >= 0 && kg <= INT4_MAX);
  const { rows } = await client.query<[number, string, number]>({ ...SQL.lockLeases, rowMode: "array", values: [int4Array(valid)] });
  const leases = new Map(rows.map(([kg, holder, epoch]) => [kg, { holder, epoch }]));
  for (const keyGroup of touched) {
    const lease = leases.get(keyGroup);
    const epoch = epochs.get(keyGroup);
    if (lease === undefined || lease.holder !== owner || lease.epoch !== epoch) {
      const holder = lease === undefined ? "no one" : `${lease.holder} at epoch ${lease.epoch}`;
      throw new StatefunError(
        "STATEFUN_FENCED",
        `commit fenced: key group ${keyGroup} is held by ${holder}, not by ${owner} at epoch ${String(epoch)}`,
      );
    }
  }
}

/**
 * Records the idempotency keys of the batch's ingress messages; returns the messages to insert
 * and the duplicates (a key seen before, or earlier in the same batch: the first one wins).
 */
async function admitIngress(
  client: PoolClient,
  batch: CommitBatch,
): Promise<{ admitted: IngressMessage[]; duplicates: Map<string, string> }> {
  const duplicates = new Map<string, string>();
  const firstOfKey = new Map<string, IngressMessage>();
  const candidates: IngressMessage[] = [];
  for (const m of batch.ingress) {
    const key = m.idempotencyKey;
    if (key === undefined) {
      candidates.push(m);
      continue;
    }
    const first = firstOfKey.get(key);
    if (first !== undefined) {
      duplicates.set(key, first.requestId);
      continue;
    }
    firstOfKey.set(key, m);
    candidates.push(m);
  }
  if (firstOfKey.size === 0) return { admitted: candidates, duplicates };

  const keys = [...firstOfKey.keys()];
  const requestIds = keys.map((key) => firstOfKey.get(key)!.requestId);
  const inserted = await client.query<[string]>({
    ...SQL.insertIdempotencyKeys,
    rowMode: "array",
    values: [textArray(keys), textArray(requestIds), batch.now],
  });
  if (inserted.rows.length === keys.length) return { admitted: candidates, duplicates };
  const fresh = new Set(inserted.rows.map(([key]) => key));
  const known = keys.filter((key) => !fresh.has(key));
  const { rows } = await client.query<[string, string]>({ ...SQL.requestIdsOf, rowMode: "array", values: [textArray(known)] });
  for (const [key, requestId] of rows) duplicates.set(key, requestId);
  const admitted = candidates.filter((m) => m.idempotencyKey === undefined || fresh.has(m.idempotencyKey));
  return { admitted, duplicates };
}

/** Applies a batch in the order `CommitBatch` documents, inside the caller's transaction. */
async function apply(client: PoolClient, batch: CommitBatch): Promise<CommitResult> {
  await checkFence(client, batch);
  const { admitted, duplicates } = await admitIngress(client, batch);

  // Steps 2 to 4 in one delete and one insert: an admitted ingress message that this batch also
  // consumes, or cancels (delayed, with a cancelled token), is simply never inserted.
  const consumed = new Set(batch.consumed);
  const cancelled = new Set(batch.cancelTokens);
  const inserts: StoredMessage[] = admitted.filter(
    (m) => !consumed.has(m.seq) && !(m.dueAt !== undefined && m.cancellationToken !== undefined && cancelled.has(m.cancellationToken)),
  );
  for (const m of batch.messages) inserts.push(m);
  if (batch.consumed.length > 0) await client.query({ ...SQL.deleteMessages, values: [int8Array(batch.consumed)] });
  if (batch.cancelTokens.length > 0) await client.query({ ...SQL.cancelDelayed, values: [textArray(batch.cancelTokens)] });
  if (inserts.length > 0) await client.query({ ...SQL.insertMessages, values: messageColumns(inserts) });

  const { deletes, upserts } = collapseState(batch.state);
  if (deletes.length > 0) await client.query({ ...SQL.deleteStates, values: deletes });
  if (upserts.length > 0) await client.query({ ...SQL.upsertStates, values: upserts });

  if (batch.egress.length > 0) {
    const e = batch.egress;
    await client.query({
      ...SQL.insertEgress,
      values: [
        textArray(e.map((r) => r.egress)),
        textArray(e.map((r) => r.topic)),
        textArray(e.map((r) => r.argument.typename)),
        byteaArray(e.map((r) => r.argument.value)),
        int8Array(e.map((r) => r.createdAt)),
      ],
    });
  }
  if (batch.replies.length > 0) {
    const replies = lastReplies(batch.replies);
    await client.query({
      ...SQL.upsertReplies,
      values: [
        textArray(replies.map((r) => r.requestId)),
        textArray(replies.map((r) => r.argument.typename)),
        byteaArray(replies.map((r) => r.argument.value)),
        batch.now,
      ],
    });
  }
  if (batch.deadLetters.length > 0) {
    const d = batch.deadLetters;
    await client.query({
      ...SQL.insertDeadLetters,
      values: [
        ...messageColumns(d.map((x) => x.message)),
        textArray(d.map((x) => x.error)),
        int4Array(d.map((x) => x.attempts)),
        int8Array(d.map((x) => x.failedAt)),
      ],
    });
  }
  if (batch.replayed.length > 0) await client.query({ ...SQL.deleteDeadLetters, values: [int8Array(batch.replayed)] });
  return { duplicates };
}

/** Commits a batch in one transaction on `client`; any error (a fence, a constraint) rolls all of it back. */
export async function commitBatch(client: PoolClient, batch: CommitBatch): Promise<CommitResult> {
  await client.query("BEGIN");
  try {
    const result = await apply(client, batch);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}
