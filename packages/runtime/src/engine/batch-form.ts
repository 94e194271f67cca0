import { addSource } from "../sources.js";
import type { SourceAdvance } from "../store/source-positions.js";
import type { CommitBatch, Fence, IngressMessage, StateDrop, StoredMessage } from "../store/types.js";
import { type CommitUnit, EMPTY, type IngressPart, type NewMessage } from "./commit-unit.js";

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

/** Told the seq of each message handed to its mailbox before its commit that the batch stores (see `formBatch`). */
export interface HandedOver {
  storedEarly(seq: number): void;
}

/**
 * Forms one store transaction from `units`, in their order, giving their messages seqs from
 * `firstSeq` on. The lists that grow with every unit (messages, consumed seqs, state writes, each
 * unit's stored messages) are allocated at their final size, once: this runs for every message.
 *
 * A message handed to its mailbox before its commit (a unit `delivered`) and consumed by a unit
 * of the same batch (its `unsequenced`) is neither inserted nor deleted: both happen in one
 * transaction, so the row would change nothing. One the batch stores all the same (consumed
 * later) is told to `early`: the inbox may read it back while its consumption is not committed.
 */
export function formBatch(
  units: readonly CommitUnit[],
  firstSeq: number,
  now: number,
  fence: Fence,
  early?: HandedOver | undefined,
): FormedBatch {
  let messageCount = 0;
  let consumedCount = 0;
  let stateCount = 0;
  let seqCount = 0;
  let chained = false;
  for (let i = 0; i < units.length; i++) {
    const u = units[i]!;
    messageCount += u.messages.length;
    consumedCount += u.consumed.length;
    stateCount += u.state.length;
    if (u.unsequenced !== undefined) chained = true;
    if (u.ingress !== undefined) seqCount++;
    if (u.source !== undefined) seqCount += u.source.messages.length;
  }
  seqCount += messageCount;
  // Where each seq of this batch went in `messages` (plus one; 0: not there), when a unit consumes
  // messages without their seq.
  const where = chained ? new Int32Array(seqCount) : undefined;
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
  let cancelled = 0;
  // Seqs of source messages handed over early and consumed in this batch.
  let passing: Set<number> | undefined;
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
        if (where !== undefined) where[seq - firstSeq] = m + 1;
        message.seq = seq++;
        messages[m++] = message;
      }
    } else {
      mine = [];
      if (u.ingress !== undefined) {
        const part = u.ingress;
        const message = part.message;
        message.seq = seq++;
        if (part.handedOver === true) part.early?.assigned(message);
        ingress.push(ingressMessage(message, part));
        mine.push(message);
      }
      for (const message of own) {
        if (where !== undefined) where[seq - firstSeq] = m + 1;
        message.seq = seq++;
        messages[m++] = message;
        mine.push(message);
      }
      if (u.source !== undefined) {
        const from = seq;
        seq = addSource(batch.sources, u.source, seq, mine, sourceOf, i);
        // Handed over early (see `EarlySources`): a unit of this batch may consume them.
        if (where !== undefined && u.delivered === true) for (let k = from; k < seq; k++) where[k - firstSeq] = -1;
      }
    }
    stored[i] = mine;
    const keyGroups = u.touchedKeyGroups;
    for (let k = 0; k < keyGroups.length; k++) touched.add(keyGroups[k]!);
    const seqs = u.consumed;
    // A 0 is a message consumed before it had a seq: it is among `unsequenced`.
    for (let k = 0; k < seqs.length; k++) if (seqs[k] !== 0) consumed[c++] = seqs[k]!;
    const unsequenced = u.unsequenced;
    if (unsequenced !== undefined) {
      for (let k = 0; k < unsequenced.length; k++) {
        const sent = unsequenced[k]!.seq;
        if (sent === 0) throw new Error("a message was consumed ahead of the unit that sent it");
        const index = sent >= firstSeq && sent - firstSeq < seqCount ? where![sent - firstSeq]! : 0;
        // Sent in this batch: neither inserted nor deleted (an ingress message is left to the store).
        if (index > 0) {
          messages[index - 1] = undefined as unknown as StoredMessage;
          cancelled++;
        } else if (index < 0) {
          passing ??= new Set();
          passing.add(sent);
        } else consumed[c++] = sent;
      }
    }
    const writes = u.state;
    for (let k = 0; k < writes.length; k++) state[s++] = writes[k]!;
    if (u.cancelTokens.length > 0) for (const t of u.cancelTokens) batch.cancelTokens.push(t);
    if (u.drops.length > 0) for (const d of u.drops) batch.drops.push(d);
    if (u.egress.length > 0) for (const e of u.egress) batch.egress.push(e);
    if (u.replies.length > 0) for (const r of u.replies) batch.replies.push(r);
    if (u.deadLetters.length > 0) for (const d of u.deadLetters) batch.deadLetters.push(d);
    if (u.replayed.length > 0) for (const r of u.replayed) batch.replayed.push(r);
  }
  if (c < consumed.length) consumed.length = c;
  if (passing !== undefined) {
    const sources = batch.sources;
    for (let k = 0; k < sources.length; k++) {
      const advance = sources[k]!;
      if (advance.messages.some((m) => passing.has(m.seq))) {
        sources[k] = { ...advance, messages: advance.messages.filter((m) => !passing.has(m.seq)) };
      }
    }
  }
  if (early !== undefined) handedOverEarly(units, messages, where, firstSeq, early, passing);
  if (cancelled > 0) {
    let kept = 0;
    for (let k = 0; k < messages.length; k++) if (messages[k] !== undefined) messages[kept++] = messages[k]!;
    messages.length = kept;
  }
  return { batch, stored, sourceOf, nextSeq: seq };
}

/**
 * The store's row of an ingress message: its fields listed one by one (an object spread with
 * fields added after it took V8's slow path, about 1.4 µs a request, most of `formBatch`).
 * Optional fields are only set when the message has them, as the spread did.
 */
function ingressMessage(m: NewMessage, part: IngressPart): IngressMessage {
  const row: Mutable<IngressMessage> = {
    seq: m.seq,
    keyGroup: m.keyGroup,
    target: m.target,
    caller: m.caller,
    argument: m.argument,
    requestId: part.requestId,
    idempotencyKey: part.idempotencyKey,
    fingerprint: part.fingerprint,
  };
  if (m.dueAt !== undefined) row.dueAt = m.dueAt;
  if (m.cancellationToken !== undefined) row.cancellationToken = m.cancellationToken;
  return row;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Tells `early` the seqs of the messages handed over before their commit that the batch stores. */
function handedOverEarly(
  units: readonly CommitUnit[],
  messages: readonly StoredMessage[],
  where: Int32Array | undefined,
  firstSeq: number,
  early: HandedOver,
  passing: ReadonlySet<number> | undefined,
): void {
  for (let i = 0; i < units.length; i++) {
    const u = units[i]!;
    if (u.delivered !== true) continue;
    // A source advance's messages (see `EarlySources`): stored unless consumed in this batch.
    if (u.source !== undefined)
      for (const m of u.source.messages) if (passing === undefined || !passing.has(m.seq)) early.storedEarly(m.seq);
    for (const m of u.messages) {
      if (m.dueAt !== undefined) continue;
      // Consumed in this batch (its place in `messages` emptied): not stored.
      if (where !== undefined && messages[where[m.seq - firstSeq]! - 1] !== m) continue;
      early.storedEarly(m.seq);
    }
  }
}
