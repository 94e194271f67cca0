import type { Address, TypedValue } from "@statefun-ts/protocol";
import type { CommitBatch, EgressRow, ReplyRow, StateWrite, StoredMessage } from "@statefun-ts/runtime/spi";
import type Database from "better-sqlite3";
import type { Bulk } from "./bulk.js";
import { ABSENT, decodeSourceMessages, type EncodedMessages, encodeSourceMessages, lengthOf, SAME, transferOf } from "./message-codec.js";
import { passingThrough } from "./passing-through.js";

/**
 * A commit batch as it is posted to the store's thread. The parts that grow with the batch
 * (`messages`, `state`, `consumed`, `egress`, `replies`) travel as three flat values instead of an object per row:
 * numbers in one `Float64Array`, every string one after the other in one string (a string the
 * same as in the row before only once), every value's
 * bytes in one `Uint8Array`. The two arrays are transferred, not copied, and the string is one
 * copy: structured clone of an object per row, each with its own `Uint8Array`, cost more than
 * the engine's whole work per message. The key groups touched and the fence's epochs of those
 * (all a commit checks) go as numbers too: cloning the fence's map of every key group held was a
 * fixed cost of each commit. The other parts, small or rare, go as they are.
 *
 * An ingress message the batch consumes itself (`passingThrough`: an awaited request whose
 * invocation finished before its commit) travels in neither `ingress` nor `consumed`: the store
 * would neither insert nor delete it. Its seq still counts in `seqLow`..`seqHigh`.
 */
export interface EncodedBatch {
  readonly rest: Omit<CommitBatch, "messages" | "state" | "consumed" | "egress" | "replies" | "fence" | "touchedKeyGroups">;
  /** The fence's owner (its epochs of the touched key groups are in `numbers`). */
  readonly owner: string;
  readonly touchedCount: number;
  readonly messageCount: number;
  readonly stateCount: number;
  readonly consumedCount: number;
  readonly egressCount: number;
  readonly replyCount: number;
  /** The lowest and highest seq of the batch's messages and ingress messages, those left out included (±Infinity: none). */
  readonly seqLow: number;
  readonly seqHigh: number;
  readonly numbers: Float64Array;
  readonly strings: string;
  readonly bytes: Uint8Array;
  /** The messages of `rest.sources`, left out there (see `EncodedMessages`); undefined when they travel in it. */
  readonly sourceMessages: EncodedMessages | undefined;
}

/** Numbers per message: seq, key group, due at, value length and 8 string lengths. */
const MESSAGE_NUMBERS = 12;
/** Numbers per state write: key group, expires at, value length (-1: a deletion) and 5 string lengths. */
const STATE_NUMBERS = 8;
/** Numbers per egress record: created at, value length and 3 string lengths. */
const EGRESS_NUMBERS = 5;
/** Numbers per reply: value length and 2 string lengths. */
const REPLY_NUMBERS = 3;
/** Places of the strings in a row, for `SAME`: a message's 8, a state write's 5, a reply's 2, then an egress record's 3. */
const STRING_SLOTS = 18;

/**
 * The ingress messages that travel (not `passing`), each value in a buffer of its own. A request
 * body of a few bytes is often a view of an 8 KiB slab (Node's Buffer pool), and structured clone
 * copies a typed array's whole buffer: 7–11 µs a request where its own bytes cost 1 µs.
 */
function travelling(ingress: CommitBatch["ingress"], passing: ReadonlySet<number> | undefined): CommitBatch["ingress"] {
  if (ingress.length === 0) return ingress;
  const out: CommitBatch["ingress"][number][] = [];
  for (const m of ingress) {
    if (passing?.has(m.seq)) continue;
    out.push(owned(m.argument.value) ? m : { ...m, argument: { ...m.argument, value: m.argument.value.slice() } });
  }
  return out;
}

/** True when a value's buffer holds nothing else. */
const owned = (value: Uint8Array): boolean => value.byteOffset === 0 && value.byteLength === value.buffer.byteLength;

/** The batch as it is posted; `transfer` lists what moves rather than being copied. */
export function encodeBatch(batch: CommitBatch): { encoded: EncodedBatch; transfer: ArrayBuffer[] } {
  const { messages, state, consumed, egress, replies, fence, touchedKeyGroups, ...rest } = batch;
  const passing = passingThrough(rest.ingress, consumed);
  const consumedCount = consumed.length - (passing?.size ?? 0);
  let size = 0;
  let seqLow = Number.POSITIVE_INFINITY;
  let seqHigh = Number.NEGATIVE_INFINITY;
  for (const m of messages) {
    size += m.argument.value.byteLength;
    if (m.seq < seqLow) seqLow = m.seq;
    if (m.seq > seqHigh) seqHigh = m.seq;
  }
  for (const m of rest.ingress) {
    if (m.seq < seqLow) seqLow = m.seq;
    if (m.seq > seqHigh) seqHigh = m.seq;
  }
  for (const w of state) if (w.value !== null) size += w.value.value.byteLength;
  for (const e of egress) size += e.argument.value.byteLength;
  for (const r of replies) size += r.argument.value.byteLength;
  const numbers = new Float64Array(
    touchedKeyGroups.size * 2 +
      messages.length * MESSAGE_NUMBERS +
      state.length * STATE_NUMBERS +
      consumedCount +
      egress.length * EGRESS_NUMBERS +
      replies.length * REPLY_NUMBERS,
  );
  const bytes = new Uint8Array(size);
  let n = 0;
  let b = 0;
  let strings = "";
  const previous: (string | undefined)[] = new Array(STRING_SLOTS);
  // Each string: its code (`lengthOf`) in `numbers`, and the string itself when the code is a
  // length. Written out at each string rather than in a closure: a closure over `n` and `strings`
  // would make every access to them, in every loop here, a load from its context.
  let code = 0;
  let s: string | undefined;
  // Each touched key group with the fence's epoch of it (NaN: none, which the commit refuses).
  const epochs = fence.epochs;
  for (const keyGroup of touchedKeyGroups) {
    numbers[n++] = keyGroup;
    numbers[n++] = epochs.get(keyGroup) ?? Number.NaN;
  }
  for (const m of messages) {
    const value = m.argument.value;
    numbers[n++] = m.seq;
    numbers[n++] = m.keyGroup;
    numbers[n++] = m.dueAt ?? Number.NaN;
    numbers[n++] = value.byteLength;
    b = put(bytes, b, value);
    s = m.target.namespace;
    code = lengthOf(previous, 0, s);
    numbers[n++] = code;
    if (code >= 0) strings += s;
    s = m.target.type;
    code = lengthOf(previous, 1, s);
    numbers[n++] = code;
    if (code >= 0) strings += s;
    s = m.target.id;
    code = lengthOf(previous, 2, s);
    numbers[n++] = code;
    if (code >= 0) strings += s;
    s = m.caller?.namespace;
    code = lengthOf(previous, 3, s);
    numbers[n++] = code;
    if (code >= 0) strings += s;
    s = m.caller?.type;
    code = lengthOf(previous, 4, s);
    numbers[n++] = code;
    if (code >= 0) strings += s;
    s = m.caller?.id;
    code = lengthOf(previous, 5, s);
    numbers[n++] = code;
    if (code >= 0) strings += s;
    s = m.argument.typename;
    code = lengthOf(previous, 6, s);
    numbers[n++] = code;
    if (code >= 0) strings += s;
    s = m.cancellationToken;
    code = lengthOf(previous, 7, s);
    numbers[n++] = code;
    if (code >= 0) strings += s;
  }
  for (const w of state) {
    numbers[n++] = w.keyGroup;
    numbers[n++] = w.expiresAt ?? Number.NaN;
    if (w.value === null) numbers[n++] = ABSENT;
    else {
      numbers[n++] = w.value.value.byteLength;
      b = put(bytes, b, w.value.value);
    }
    s = w.address.namespace;
    code = lengthOf(previous, 8, s);
    numbers[n++] = code;
    if (code >= 0) strings += s;
    s = w.address.type;
    code = lengthOf(previous, 9, s);
    numbers[n++] = code;
    if (code >= 0) strings += s;
    s = w.address.id;
    code = lengthOf(previous, 10, s);
    numbers[n++] = code;
    if (code >= 0) strings += s;
    s = w.name;
    code = lengthOf(previous, 11, s);
    numbers[n++] = code;
    if (code >= 0) strings += s;
    s = w.value?.typename;
    code = lengthOf(previous, 12, s);
    numbers[n++] = code;
    if (code >= 0) strings += s;
  }
  for (const seq of consumed) if (passing === undefined || !passing.has(seq)) numbers[n++] = seq;
  for (const e of egress) {
    const value = e.argument.value;
    numbers[n++] = e.createdAt;
    numbers[n++] = value.byteLength;
    b = put(bytes, b, value);
    s = e.egress;
    code = lengthOf(previous, 15, s);
    numbers[n++] = code;
    if (code >= 0) strings += s;
    s = e.topic;
    code = lengthOf(previous, 16, s);
    numbers[n++] = code;
    if (code >= 0) strings += s;
    s = e.argument.typename;
    code = lengthOf(previous, 17, s);
    numbers[n++] = code;
    if (code >= 0) strings += s;
  }
  for (const r of replies) {
    const value = r.argument.value;
    numbers[n++] = value.byteLength;
    b = put(bytes, b, value);
    s = r.requestId;
    code = lengthOf(previous, 13, s);
    numbers[n++] = code;
    if (code >= 0) strings += s;
    s = r.argument.typename;
    code = lengthOf(previous, 14, s);
    numbers[n++] = code;
    if (code >= 0) strings += s;
  }
  const sources = encodeSourceMessages(rest.sources);
  const encoded: EncodedBatch = {
    rest: { ...rest, ingress: travelling(rest.ingress, passing), sources: sources.advances },
    owner: fence.owner,
    touchedCount: touchedKeyGroups.size,
    messageCount: messages.length,
    stateCount: state.length,
    consumedCount,
    egressCount: egress.length,
    replyCount: replies.length,
    seqLow,
    seqHigh,
    numbers,
    strings,
    bytes,
    sourceMessages: sources.encoded,
  };
  const transfer = [numbers.buffer as ArrayBuffer, bytes.buffer as ArrayBuffer];
  if (sources.encoded !== undefined) transfer.push(...transferOf(sources.encoded));
  return { encoded, transfer };
}

/**
 * Copies `value` into `bytes` at `at`; returns the end. Most values are a few bytes (an int is
 * 5): a loop copies those faster than a call to `set`.
 */
function put(bytes: Uint8Array, at: number, value: Uint8Array): number {
  const length = value.length;
  if (length > 32) bytes.set(value, at);
  else for (let i = 0; i < length; i++) bytes[at + i] = value[i]!;
  return at + length;
}

/** The batch again, on the store's thread (the reference decoder of the tests; the thread writes rows straight from the encoded form, see `EncodedRows`). */
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
  const messages: StoredMessage[] = new Array(encoded.messageCount);
  for (let i = 0; i < encoded.messageCount; i++) {
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
    messages[i] = { seq, keyGroup, target, caller, argument, dueAt, cancellationToken };
  }
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
  const egress: Omit<EgressRow, "id">[] = new Array(encoded.egressCount);
  for (let i = 0; i < encoded.egressCount; i++) {
    const createdAt = numbers[n++]!;
    const bytesOf = value(numbers[n++]!);
    const name = text(15)!;
    const topic = text(16)!;
    egress[i] = { egress: name, topic, argument: { typename: text(17)!, value: bytesOf }, createdAt };
  }
  const replies: ReplyRow[] = new Array(encoded.replyCount);
  for (let i = 0; i < encoded.replyCount; i++) {
    const bytesOf = value(numbers[n++]!);
    const requestId = text(13)!;
    replies[i] = { requestId, argument: { typename: text(14)!, value: bytesOf } };
  }
  return { ...restOf(encoded), fence: { owner: encoded.owner, epochs }, touchedKeyGroups, messages, state, consumed, egress, replies };
}

/** The batch's other parts, its source advances with their messages again. */
function restOf(encoded: EncodedBatch): EncodedBatch["rest"] {
  const { rest, sourceMessages } = encoded;
  if (sourceMessages === undefined || rest.sources === undefined) return rest;
  return { ...rest, sources: decodeSourceMessages(rest.sources, sourceMessages) };
}

/**
 * The rows of an encoded batch, written straight from its flat form into the store's
 * statements (`SqliteStore.commitEncoded`): no object per message or state write is made on the
 * store's thread. `head()` is the batch without those rows; `consumed`, `messages`, `state`,
 * `egress` and `replies` write them, in that order (the commit's), each once.
 */
export class EncodedRows {
  /** Where each part starts in `numbers`. */
  private readonly messagesAt: number;
  private readonly stateAt: number;
  private readonly consumedAt: number;
  private readonly egressAt: number;
  private readonly repliesAt: number;
  /** Cursors in `strings` and `bytes` (messages' first, then the state writes'). */
  private s = 0;
  private b = 0;
  private readonly previous: (string | null)[] = new Array<string | null>(STRING_SLOTS).fill(null);

  constructor(private readonly encoded: EncodedBatch) {
    this.messagesAt = encoded.touchedCount * 2;
    this.stateAt = this.messagesAt + encoded.messageCount * MESSAGE_NUMBERS;
    this.consumedAt = this.stateAt + encoded.stateCount * STATE_NUMBERS;
    this.egressAt = this.consumedAt + encoded.consumedCount;
    this.repliesAt = this.egressAt + encoded.egressCount * EGRESS_NUMBERS;
  }

  /** The batch with its fence and touched key groups, and empty lists of messages, state writes, consumed seqs, egress records and replies. */
  head(): CommitBatch {
    const { numbers, touchedCount } = this.encoded;
    const touchedKeyGroups = new Set<number>();
    const epochs = new Map<number, number>();
    for (let i = 0; i < touchedCount; i++) {
      const keyGroup = numbers[2 * i]!;
      const epoch = numbers[2 * i + 1]!;
      touchedKeyGroups.add(keyGroup);
      if (!Number.isNaN(epoch)) epochs.set(keyGroup, epoch);
    }
    return {
      ...restOf(this.encoded),
      fence: { owner: this.encoded.owner, epochs },
      touchedKeyGroups,
      messages: [],
      state: [],
      consumed: [],
      egress: [],
      replies: [],
    };
  }

  /** The lowest and highest seq of the messages and ingress messages, those left out included (`[Infinity, -Infinity]` when none). */
  seqRange(): [number, number] {
    return [this.encoded.seqLow, this.encoded.seqHigh];
  }

  /** One parameter per consumed seq. */
  consumed(bulk: Bulk): void {
    const { numbers, consumedCount } = this.encoded;
    const end = this.consumedAt + consumedCount;
    for (let n = this.consumedAt; n < end; n++) {
      bulk.put(numbers[n]!);
      bulk.added();
    }
  }

  /** Each message's row, as `putMessage` writes it. */
  messages(bulk: Bulk): void {
    const { numbers, messageCount } = this.encoded;
    for (let i = 0, n = this.messagesAt; i < messageCount; i++, n += MESSAGE_NUMBERS) {
      const dueAt = numbers[n + 2]!;
      bulk.put(numbers[n]!);
      bulk.put(numbers[n + 1]!);
      bulk.put(this.text(numbers[n + 4]!, 0));
      bulk.put(this.text(numbers[n + 5]!, 1));
      bulk.put(this.text(numbers[n + 6]!, 2));
      bulk.put(this.text(numbers[n + 7]!, 3));
      bulk.put(this.text(numbers[n + 8]!, 4));
      bulk.put(this.text(numbers[n + 9]!, 5));
      bulk.put(this.text(numbers[n + 10]!, 6));
      bulk.put(this.value(numbers[n + 3]!));
      bulk.put(Number.isNaN(dueAt) ? null : dueAt);
      bulk.put(this.text(numbers[n + 11]!, 7));
      bulk.added();
    }
  }

  /** Each write's upsert row; a deletion runs `remove` in its place (after the upserts before it). */
  state(upserts: Bulk, remove: Database.Statement<unknown[], unknown>): void {
    const { numbers, stateCount } = this.encoded;
    for (let i = 0, n = this.stateAt; i < stateCount; i++, n += STATE_NUMBERS) {
      const keyGroup = numbers[n]!;
      const expiresAt = numbers[n + 1]!;
      const length = numbers[n + 2]!;
      const namespace = this.text(numbers[n + 3]!, 8);
      const type = this.text(numbers[n + 4]!, 9);
      const id = this.text(numbers[n + 5]!, 10);
      const name = this.text(numbers[n + 6]!, 11);
      const typename = this.text(numbers[n + 7]!, 12);
      if (length === ABSENT) {
        upserts.flush();
        remove.run(namespace, type, id, name);
        continue;
      }
      upserts.put(namespace);
      upserts.put(type);
      upserts.put(id);
      upserts.put(name);
      upserts.put(keyGroup);
      upserts.put(typename);
      upserts.put(this.value(length));
      upserts.put(Number.isNaN(expiresAt) ? null : expiresAt);
      upserts.added();
    }
  }

  /** Each egress record's row, as the commit writes a batch's `egress`; returns how many. */
  egress(bulk: Bulk): number {
    const { numbers, egressCount } = this.encoded;
    for (let i = 0, n = this.egressAt; i < egressCount; i++, n += EGRESS_NUMBERS) {
      const createdAt = numbers[n]!;
      const value = this.value(numbers[n + 1]!);
      bulk.put(this.text(numbers[n + 2]!, 15));
      bulk.put(this.text(numbers[n + 3]!, 16));
      bulk.put(this.text(numbers[n + 4]!, 17));
      bulk.put(value);
      bulk.put(createdAt);
      bulk.added();
    }
    return egressCount;
  }

  /** Each reply's upsert row, created at `now`. */
  replies(upserts: Bulk, now: number): void {
    const { numbers, replyCount } = this.encoded;
    for (let i = 0, n = this.repliesAt; i < replyCount; i++, n += REPLY_NUMBERS) {
      const value = this.value(numbers[n]!);
      upserts.put(this.text(numbers[n + 1]!, 13));
      upserts.put(this.text(numbers[n + 2]!, 14));
      upserts.put(value);
      upserts.put(now);
      upserts.added();
    }
  }

  private text(length: number, slot: number): string | null {
    if (length === ABSENT) return null;
    if (length === SAME) return this.previous[slot]!;
    const value = this.encoded.strings.slice(this.s, this.s + length);
    this.s += length;
    this.previous[slot] = value;
    return value;
  }

  private value(length: number): Uint8Array {
    const v = this.encoded.bytes.subarray(this.b, this.b + length);
    this.b += length;
    return v;
  }
}
