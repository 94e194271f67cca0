import type { Address, TypedValue } from "@statefun-ts/protocol";
import type { CommitBatch, IngressMessage, ReplyRow, StateWrite, StoredMessage } from "@statefun-ts/runtime/spi";

/**
 * A commit batch as it is posted to the store's thread. The parts that grow with the batch
 * (`messages`, `state`, `consumed`) travel as three flat values instead of an object per row:
 * numbers in one `Float64Array`, every string one after the other in one string (a string the
 * same as in the row before only once), every value's
 * bytes in one `Uint8Array`. The two arrays are transferred, not copied, and the string is one
 * copy: structured clone of an object per row, each with its own `Uint8Array`, cost more than
 * the engine's whole work per message. The key groups touched and the fence's epochs of those
 * (all a commit checks) go as numbers too: cloning the fence's map of every key group held was a
 * fixed cost of each commit. The ingress messages and the replies (one each per request-reply)
 * travel the same way: cloned as they are, each value's bytes took their whole backing buffer
 * along, an 8 KiB pool slab for a request body of two bytes. The other parts, small or rare, go
 * as they are.
 */
export interface EncodedBatch {
  readonly rest: Omit<CommitBatch, "messages" | "state" | "consumed" | "fence" | "touchedKeyGroups" | "ingress" | "replies">;
  /** The fence's owner (its epochs of the touched key groups are in `numbers`). */
  readonly owner: string;
  readonly touchedCount: number;
  readonly ingressCount: number;
  readonly messageCount: number;
  readonly replyCount: number;
  readonly stateCount: number;
  readonly consumedCount: number;
  readonly numbers: Float64Array;
  readonly strings: string;
  readonly bytes: Uint8Array;
}

/** Numbers per message: seq, key group, due at, value length and 8 string lengths. */
const MESSAGE_NUMBERS = 12;
/** Numbers per ingress message: a message's, and the lengths of its request id, idempotency key and fingerprint. */
const INGRESS_NUMBERS = MESSAGE_NUMBERS + 3;
/** Numbers per reply: value length and the lengths of its request id and typename. */
const REPLY_NUMBERS = 3;
/** Numbers per state write: key group, expires at, value length (-1: a deletion) and 5 string lengths. */
const STATE_NUMBERS = 8;
/** The length written for an absent string. */
const ABSENT = -1;
/** The length written for the same string as in the row before (the namespaces, types and typenames of most rows). */
const SAME = -2;
/** Places of the strings in a row, for `SAME`: a message's 8, a state write's 5, an ingress message's 3 more (a reply's request id and typename share those of an ingress message). */
const STRING_SLOTS = 16;

/** The batch as it is posted; `transfer` lists what moves rather than being copied. */
export function encodeBatch(batch: CommitBatch): { encoded: EncodedBatch; transfer: ArrayBuffer[] } {
  const { messages, state, consumed, fence, touchedKeyGroups, ingress, replies, ...rest } = batch;
  let size = 0;
  for (const m of ingress) size += m.argument.value.byteLength;
  for (const m of messages) size += m.argument.value.byteLength;
  for (const w of state) if (w.value !== null) size += w.value.value.byteLength;
  for (const r of replies) size += r.argument.value.byteLength;
  const numbers = new Float64Array(
    touchedKeyGroups.size * 2 +
      ingress.length * INGRESS_NUMBERS +
      messages.length * MESSAGE_NUMBERS +
      state.length * STATE_NUMBERS +
      consumed.length +
      replies.length * REPLY_NUMBERS,
  );
  const bytes = new Uint8Array(size);
  let n = 0;
  let b = 0;
  let strings = "";
  const previous: (string | undefined)[] = new Array(STRING_SLOTS);
  const text = (slot: number, s: string | undefined): void => {
    if (s === undefined) numbers[n++] = ABSENT;
    else if (s === previous[slot]) numbers[n++] = SAME;
    else {
      numbers[n++] = s.length;
      strings += s;
      previous[slot] = s;
    }
  };
  const value = (v: Uint8Array): void => {
    numbers[n++] = v.byteLength;
    bytes.set(v, b);
    b += v.byteLength;
  };
  const message = (m: StoredMessage): void => {
    numbers[n++] = m.seq;
    numbers[n++] = m.keyGroup;
    numbers[n++] = m.dueAt ?? Number.NaN;
    value(m.argument.value);
    text(0, m.target.namespace);
    text(1, m.target.type);
    text(2, m.target.id);
    text(3, m.caller?.namespace);
    text(4, m.caller?.type);
    text(5, m.caller?.id);
    text(6, m.argument.typename);
    text(7, m.cancellationToken);
  };
  // Each touched key group with the fence's epoch of it (NaN: none, which the commit refuses).
  const epochs = fence.epochs;
  for (const keyGroup of touchedKeyGroups) {
    numbers[n++] = keyGroup;
    numbers[n++] = epochs.get(keyGroup) ?? Number.NaN;
  }
  for (const m of ingress) {
    message(m);
    // An awaited request's id is its caller's id, just written: it goes as "the same" (see `SAME`).
    previous[13] = m.caller?.id;
    text(13, m.requestId);
    text(14, m.idempotencyKey);
    text(15, m.fingerprint);
  }
  for (const m of messages) message(m);
  for (const w of state) {
    numbers[n++] = w.keyGroup;
    numbers[n++] = w.expiresAt ?? Number.NaN;
    if (w.value === null) numbers[n++] = ABSENT;
    else value(w.value.value);
    text(8, w.address.namespace);
    text(9, w.address.type);
    text(10, w.address.id);
    text(11, w.name);
    text(12, w.value?.typename);
  }
  for (const seq of consumed) numbers[n++] = seq;
  for (const r of replies) {
    value(r.argument.value);
    text(13, r.requestId);
    text(6, r.argument.typename);
  }
  const encoded: EncodedBatch = {
    rest,
    owner: fence.owner,
    touchedCount: touchedKeyGroups.size,
    ingressCount: ingress.length,
    messageCount: messages.length,
    replyCount: replies.length,
    stateCount: state.length,
    consumedCount: consumed.length,
    numbers,
    strings,
    bytes,
  };
  return { encoded, transfer: [numbers.buffer as ArrayBuffer, bytes.buffer as ArrayBuffer] };
}

/** The batch again, on the store's thread. */
export function decodeBatch(encoded: EncodedBatch): CommitBatch {
  const { numbers, strings, bytes } = encoded;
  let n = 0;
  let b = 0;
  let s = 0;
  const previous: (string | undefined)[] = new Array(STRING_SLOTS);
  const text = (slot: number): string | undefined => {
    const length = numbers[n++]!;
    if (length === ABSENT) return undefined;
    if (length === SAME) return previous[slot];
    const value = strings.slice(s, s + length);
    s += length;
    previous[slot] = value;
    return value;
  };
  const value = (length: number): Uint8Array => {
    const v = bytes.subarray(b, b + length);
    b += length;
    return v;
  };
  const optional = (x: number): number | undefined => (Number.isNaN(x) ? undefined : x);
  const touchedKeyGroups = new Set<number>();
  const epochs = new Map<number, number>();
  for (let i = 0; i < encoded.touchedCount; i++) {
    const keyGroup = numbers[n++]!;
    const epoch = numbers[n++]!;
    touchedKeyGroups.add(keyGroup);
    if (!Number.isNaN(epoch)) epochs.set(keyGroup, epoch);
  }
  /** A message, with its ingress fields when `ingress` (one object either way: this runs for every row). */
  function message(ingress: true): IngressMessage;
  function message(ingress: false): StoredMessage;
  function message(ingress: boolean): StoredMessage | IngressMessage {
    const seq = numbers[n++]!;
    const keyGroup = numbers[n++]!;
    const dueAt = optional(numbers[n++]!);
    const bytesOf = value(numbers[n++]!);
    const target: Address = { namespace: text(0)!, type: text(1)!, id: text(2)! };
    const namespace = text(3);
    const type = text(4);
    const id = text(5);
    const caller: Address | undefined = namespace === undefined ? undefined : { namespace, type: type!, id: id! };
    const argument: TypedValue = { typename: text(6)!, value: bytesOf };
    const cancellationToken = text(7);
    if (!ingress) return { seq, keyGroup, target, caller, argument, dueAt, cancellationToken };
    previous[13] = id;
    const requestId = text(13)!;
    const idempotencyKey = text(14);
    const fingerprint = text(15);
    return { seq, keyGroup, target, caller, argument, dueAt, cancellationToken, requestId, idempotencyKey, fingerprint };
  }
  const ingress: IngressMessage[] = new Array(encoded.ingressCount);
  for (let i = 0; i < encoded.ingressCount; i++) ingress[i] = message(true);
  const messages: StoredMessage[] = new Array(encoded.messageCount);
  for (let i = 0; i < encoded.messageCount; i++) messages[i] = message(false);
  const state: StateWrite[] = new Array(encoded.stateCount);
  for (let i = 0; i < encoded.stateCount; i++) {
    const keyGroup = numbers[n++]!;
    const expiresAt = optional(numbers[n++]!);
    const length = numbers[n++]!;
    const bytesOf = length === ABSENT ? undefined : value(length);
    const address: Address = { namespace: text(8)!, type: text(9)!, id: text(10)! };
    const name = text(11)!;
    const typename = text(12);
    state[i] = { address, keyGroup, name, value: bytesOf === undefined ? null : { typename: typename!, value: bytesOf }, expiresAt };
  }
  const consumed: number[] = new Array(encoded.consumedCount);
  for (let i = 0; i < encoded.consumedCount; i++) consumed[i] = numbers[n++]!;
  const replies: ReplyRow[] = new Array(encoded.replyCount);
  for (let i = 0; i < encoded.replyCount; i++) {
    const bytesOf = value(numbers[n++]!);
    const requestId = text(13)!;
    replies[i] = { requestId, argument: { typename: text(6)!, value: bytesOf } };
  }
  return { ...encoded.rest, fence: { owner: encoded.owner, epochs }, touchedKeyGroups, ingress, messages, state, consumed, replies };
}
