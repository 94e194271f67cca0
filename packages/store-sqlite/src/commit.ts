import { StatefunError } from "@statefun-ts/protocol";
import type { CommitBatch, CommitResult } from "@statefun-ts/runtime/spi";
import type Database from "better-sqlite3";
import type { EncodedRows } from "./batch-codec.js";
import { pushMessage, putMessage } from "./message-params.js";
import { passingThrough } from "./passing-through.js";
import { advanceSources, type SourceStatements } from "./source-positions.js";
import type { Statements } from "./statements.js";

/** Checks that `fence` holds the current lease of every key group the batch touches. */
function checkFence(s: Statements, batch: CommitBatch): void {
  const { owner, epochs } = batch.fence;
  const cache = s.leaseCache;
  for (const keyGroup of batch.touchedKeyGroups) {
    let lease = cache.get(keyGroup);
    if (lease === undefined) {
      lease = s.leaseOf.get(keyGroup);
      if (lease !== undefined) cache.set(keyGroup, lease);
    }
    const epoch = epochs.get(keyGroup);
    if (lease === undefined || lease[0] !== owner || lease[1] !== epoch) {
      const holder = lease === undefined ? "no one" : `${String(lease[0])} at epoch ${String(lease[1])}`;
      throw new StatefunError(
        "STATEFUN_FENCED",
        `commit fenced: key group ${keyGroup} is held by ${holder}, not by ${owner} at epoch ${String(epoch)}`,
      );
    }
  }
}

/**
 * Applies a batch in the order `CommitBatch` documents; runs inside one transaction. With `rows`
 * (an encoded batch's), its messages, state writes, consumed seqs, egress records and replies come from there
 * instead of the batch's lists (its ingress messages passing through were left out when it was
 * encoded, see `EncodedBatch`).
 */
function apply(s: Statements, q: SourceStatements, batch: CommitBatch, rows: EncodedRows | undefined): CommitResult {
  checkFence(s, batch);

  const duplicates = new Map<string, string>();
  const passing = rows === undefined ? passingThrough(batch.ingress, batch.consumed) : undefined;
  const messages = s.insertMessages;
  for (const m of batch.ingress) {
    const key = m.idempotencyKey;
    if (key !== undefined && s.insertIdempotencyKey.run(key, m.requestId, batch.now, m.fingerprint ?? null).changes === 0) {
      duplicates.set(key, s.requestIdOf.get(key) as string);
      continue;
    }
    if (passing?.has(m.seq)) continue;
    putMessage(messages, m);
  }
  messages.flush();
  const rejectedSources = advanceSources(s, q, batch);

  const consumed = s.deleteMessages;
  if (rows !== undefined) rows.consumed(consumed);
  else
    for (const seq of batch.consumed) {
      if (passing?.has(seq)) continue;
      consumed.put(seq);
      consumed.added();
    }
  consumed.flush();
  let cancelled: number | undefined;
  if (batch.cancelTokens.length > 0) {
    cancelled = 0;
    for (const token of batch.cancelTokens) cancelled += s.cancelDelayed.run(token).changes;
  }

  if (rows !== undefined) rows.messages(messages);
  else for (const m of batch.messages) putMessage(messages, m);
  messages.flush();

  for (const d of batch.drops ?? []) {
    const { namespace, type, id } = d.address;
    if (d.name === undefined) {
      if (d.expiredBy === undefined) s.deleteInstance.run(namespace, type, id);
      // The instance row goes first, if expired; then, only then, the rest of the instance.
      else if (s.deleteInstanceRowIfExpired.run(namespace, type, id, d.expiredBy).changes > 0) s.deleteInstance.run(namespace, type, id);
    } else if (d.expiredBy === undefined) s.deleteState.run(namespace, type, id, d.name);
    else s.deleteStateIfExpired.run(namespace, type, id, d.name, d.expiredBy);
  }

  const states = s.upsertStates;
  if (rows !== undefined) rows.state(states, s.deleteState);
  else
    for (const w of batch.state) {
      const { namespace, type, id } = w.address;
      if (w.value === null) {
        states.flush();
        s.deleteState.run(namespace, type, id, w.name);
      } else {
        states.put(namespace);
        states.put(type);
        states.put(id);
        states.put(w.name);
        states.put(w.keyGroup);
        states.put(w.value.typename);
        states.put(w.value.value);
        states.put(w.expiresAt ?? null);
        states.added();
      }
    }
  states.flush();

  const egress = s.insertEgress;
  let egressCount = batch.egress.length;
  if (rows !== undefined) egressCount = rows.egress(egress);
  else
    for (const e of batch.egress) {
      egress.put(e.egress);
      egress.put(e.topic);
      egress.put(e.argument.typename);
      egress.put(e.argument.value);
      egress.put(e.createdAt);
      egress.added();
    }
  egress.flush();
  // One connection writes, and AUTOINCREMENT gives a multi-row insert's rows consecutive ids in
  // order: the batch's egress rows are numbered from the last one's id back.
  const egressSeq = egressCount > 0 ? Number(s.lastRowid.get()) - egressCount + 1 : undefined;

  const replies = s.upsertReplies;
  if (rows !== undefined) rows.replies(replies, batch.now);
  else
    for (const r of batch.replies) {
      replies.put(r.requestId);
      replies.put(r.argument.typename);
      replies.put(r.argument.value);
      replies.put(batch.now);
      replies.added();
    }
  replies.flush();
  for (const d of batch.deadLetters) {
    const params: unknown[] = [];
    pushMessage(params, d.message);
    params.push(d.error, d.attempts, d.failedAt);
    s.insertDeadLetter.run(params);
  }
  for (const id of batch.replayed) s.deleteDeadLetter.run(id);

  const result: CommitResult = cancelled === undefined ? { duplicates, rejectedSources } : { duplicates, rejectedSources, cancelled };
  return egressSeq === undefined ? result : { ...result, egressSeq };
}

/**
 * Several encoded batches in one transaction, in order: one commit (and fsync) for all of them;
 * a throw in any rolls all of them back (see `SqliteStore.commitEncodedTogether`). Each result
 * has the batch's share of the transaction's time (`storeMs`): its own statements, and an equal
 * part of the rest (the commit and its fsync).
 */
export function groupCommitter(
  db: Database.Database,
  s: Statements,
  q: SourceStatements,
): (batches: readonly CommitBatch[], rows: readonly EncodedRows[]) => CommitResult[] {
  const bulks = [s.insertMessages, s.deleteMessages, s.upsertStates, s.insertEgress, s.upsertReplies];
  const transaction = db.transaction((batches: readonly CommitBatch[], rows: readonly EncodedRows[], applyMs: number[]) => {
    const results: CommitResult[] = new Array(batches.length);
    for (let i = 0; i < batches.length; i++) {
      const started = performance.now();
      results[i] = apply(s, q, batches[i]!, rows[i]);
      applyMs[i] = performance.now() - started;
    }
    return results;
  });
  return (batches, rows) => {
    const started = performance.now();
    const applyMs: number[] = new Array(batches.length);
    try {
      const results = transaction(batches, rows, applyMs);
      let applied = 0;
      for (const ms of applyMs) applied += ms;
      const shared = (performance.now() - started - applied) / batches.length;
      for (let i = 0; i < results.length; i++) results[i] = { ...results[i]!, storeMs: applyMs[i]! + shared };
      return results;
    } finally {
      for (const bulk of bulks) bulk.reset();
    }
  };
}

/**
 * The commit function: one transaction per batch; a throw (a fence, a constraint) rolls all of it
 * back. With `rows`, the batch's messages, state writes and consumed seqs are those (see `apply`).
 */
export function committer(
  db: Database.Database,
  s: Statements,
  q: SourceStatements,
): (batch: CommitBatch, rows?: EncodedRows) => CommitResult {
  const bulks = [s.insertMessages, s.deleteMessages, s.upsertStates, s.insertEgress, s.upsertReplies];
  const transaction = db.transaction((batch: CommitBatch, rows: EncodedRows | undefined) => apply(s, q, batch, rows));
  return (batch, rows) => {
    try {
      return transaction(batch, rows);
    } finally {
      for (const bulk of bulks) bulk.reset();
    }
  };
}
