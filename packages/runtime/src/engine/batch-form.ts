import { addSource } from "../sources.js";
import type { SourceAdvance } from "../store/source-positions.js";
import type { CommitBatch, Fence, IngressMessage, StateDrop, StoredMessage } from "../store/types.js";
import { type CommitUnit, EMPTY } from "./commit-unit.js";

/** A batch formed from units, with what the committer needs once it committed. */
export interface FormedBatch {
  readonly batch: CommitBatch;
  /** Each unit's messages as stored (ingress message first, then its own, then its source's), index-aligned with the units. */
  readonly stored: StoredMessage[][];
  /** Unit index → index of its advance in `batch.sources`, for units with a source. */
  readonly sourceOf: Map<number, number>;
  /** The seq after the last one handed out. */
  readonly nextSeq: number;
}

/**
 * Forms one store transaction from `units`, in their order, giving their messages seqs from
 * `firstSeq` on. The lists that grow with every unit (messages, consumed seqs, state writes, each
 * unit's stored messages) are allocated at their final size, once: this runs for every message.
 */
export function formBatch(units: readonly CommitUnit[], firstSeq: number, now: number, fence: Fence): FormedBatch {
  let messageCount = 0;
  let consumedCount = 0;
  let stateCount = 0;
  for (let i = 0; i < units.length; i++) {
    const u = units[i]!;
    messageCount += u.messages.length;
    consumedCount += u.consumed.length;
    stateCount += u.state.length;
  }
  const messages: StoredMessage[] = new Array(messageCount);
  const consumed: number[] = new Array(consumedCount);
  const state: CommitBatch["state"][number][] = new Array(stateCount);
  const stored: StoredMessage[][] = new Array(units.length);
  const touched = new Set<number>();
  const ingress: IngressMessage[] = [];
  const batch = {
    now,
    fence,
    touchedKeyGroups: touched,
    ingress,
    consumed,
    cancelTokens: [] as string[],
    messages,
    drops: [] as StateDrop[],
    state,
    egress: [] as CommitBatch["egress"][number][],
    replies: [] as CommitBatch["replies"][number][],
    deadLetters: [] as CommitBatch["deadLetters"][number][],
    replayed: [] as number[],
    sources: [] as SourceAdvance[],
  } satisfies CommitBatch;
  const sourceOf = new Map<number, number>();
  let seq = firstSeq;
  let m = 0;
  let c = 0;
  let s = 0;
  for (let i = 0; i < units.length; i++) {
    const u = units[i]!;
    const own = u.messages;
    let mine: StoredMessage[];
    if (u.ingress === undefined && u.source === undefined) {
      // The common case, an invocation's unit: its stored messages are its own list (a formed
      // unit's list no longer changes: only queued units lose cancelled sends).
      mine = own.length === 0 ? (EMPTY as unknown as StoredMessage[]) : own;
      for (let k = 0; k < own.length; k++) {
        const message = own[k]!;
        message.seq = seq++;
        messages[m++] = message;
      }
    } else {
      mine = [];
      if (u.ingress !== undefined) {
        const message = u.ingress.message;
        message.seq = seq++;
        u.ingress.early?.assigned(message);
        ingress.push({
          ...message,
          requestId: u.ingress.requestId,
          idempotencyKey: u.ingress.idempotencyKey,
          fingerprint: u.ingress.fingerprint,
        });
        mine.push(message);
      }
      for (const message of own) {
        message.seq = seq++;
        messages[m++] = message;
        mine.push(message);
      }
      if (u.source !== undefined) seq = addSource(batch.sources, u.source, seq, mine, sourceOf, i);
    }
    stored[i] = mine;
    const keyGroups = u.touchedKeyGroups;
    for (let k = 0; k < keyGroups.length; k++) touched.add(keyGroups[k]!);
    const seqs = u.consumed;
    for (let k = 0; k < seqs.length; k++) consumed[c++] = seqs[k]!;
    const writes = u.state;
    for (let k = 0; k < writes.length; k++) state[s++] = writes[k]!;
    if (u.cancelTokens.length > 0) for (const t of u.cancelTokens) batch.cancelTokens.push(t);
    if (u.drops.length > 0) for (const d of u.drops) batch.drops.push(d);
    if (u.egress.length > 0) for (const e of u.egress) batch.egress.push(e);
    if (u.replies.length > 0) for (const r of u.replies) batch.replies.push(r);
    if (u.deadLetters.length > 0) for (const d of u.deadLetters) batch.deadLetters.push(d);
    if (u.replayed.length > 0) for (const r of u.replayed) batch.replayed.push(r);
  }
  return { batch, stored, sourceOf, nextSeq: seq };
}
