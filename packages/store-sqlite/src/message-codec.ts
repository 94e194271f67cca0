import type { Address, TypedValue } from "@statefun-ts/protocol";
import type { CommitBatch, StoredMessage } from "@statefun-ts/runtime/spi";

type Advances = NonNullable<CommitBatch["sources"]>;

/**
 * Lists of immediate messages as they cross between the engine's thread and the store's: flat,
 * as `EncodedBatch` sends a batch's own messages, instead of an object per message for
 * structured clone to walk (about 3.5 µs a message on the two threads together). They are the
 * messages of a batch's source advances (the records an ingress such as Kafka read) on the way
 * in, and the messages a read returns (`loadMessages`) on the way back. `counts` holds each
 * list's length, in order; `numbers` 10 per message (seq, key group, value length, 7 string
 * lengths), `strings` every string one after the other (a string the same as in the message
 * before only once), `bytes` every value.
 */
export interface EncodedMessages {
  readonly counts: readonly number[];
  readonly numbers: Float64Array;
  readonly strings: string;
  readonly bytes: Uint8Array;
}

const NUMBERS = 10;
/** The length written for an absent string. */
export const ABSENT = -1;
/** The length written for the same string as in the row before (the namespaces, types and typenames of most rows). */
export const SAME = -2;
/** A message's strings: target namespace, type, id; caller namespace, type, id; typename. */
const SLOTS = 7;

/**
 * The lists encoded; undefined when one of their messages has a delay or a cancellation token,
 * which this form does not carry (then the lists go as they are).
 */
export function encodeMessages(lists: readonly (readonly StoredMessage[])[]): EncodedMessages | undefined {
  let count = 0;
  let size = 0;
  for (const list of lists) {
    for (const m of list) {
      if (m.dueAt !== undefined || m.cancellationToken !== undefined) return undefined;
      size += m.argument.value.byteLength;
    }
    count += list.length;
  }
  const numbers = new Float64Array(count * NUMBERS);
  const bytes = new Uint8Array(size);
  const previous: (string | undefined)[] = new Array(SLOTS);
  const strings: (string | undefined)[] = new Array(SLOTS);
  let text = "";
  let n = 0;
  let b = 0;
  const counts: number[] = [];
  for (const list of lists) {
    counts.push(list.length);
    for (const m of list) {
      const value = m.argument.value;
      numbers[n++] = m.seq;
      numbers[n++] = m.keyGroup;
      numbers[n++] = value.byteLength;
      bytes.set(value, b);
      b += value.byteLength;
      const caller = m.caller;
      strings[0] = m.target.namespace;
      strings[1] = m.target.type;
      strings[2] = m.target.id;
      strings[3] = caller?.namespace;
      strings[4] = caller?.type;
      strings[5] = caller?.id;
      strings[6] = m.argument.typename;
      for (let slot = 0; slot < SLOTS; slot++) {
        const s = strings[slot];
        const code = lengthOf(previous, slot, s);
        numbers[n++] = code;
        if (code >= 0) text += s;
      }
    }
  }
  return { counts, numbers, strings: text, bytes };
}

/** The code of string `s` at `slot`: `ABSENT`, `SAME` (as in the row before), or its length (then it is the slot's last). */
export function lengthOf(previous: (string | undefined)[], slot: number, s: string | undefined): number {
  if (s === undefined) return ABSENT;
  if (s === previous[slot]) return SAME;
  previous[slot] = s;
  return s.length;
}

/** The lists again (their values views of one buffer). */
export function decodeMessages(encoded: EncodedMessages): StoredMessage[][] {
  const { counts, numbers, strings, bytes } = encoded;
  const previous: (string | undefined)[] = new Array(SLOTS);
  const texts: (string | undefined)[] = new Array(SLOTS);
  let n = 0;
  let b = 0;
  let s = 0;
  return counts.map((count) => {
    const messages: StoredMessage[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const seq = numbers[n++]!;
      const keyGroup = numbers[n++]!;
      const length = numbers[n++]!;
      const value = bytes.subarray(b, b + length);
      b += length;
      for (let slot = 0; slot < SLOTS; slot++) {
        const code = numbers[n++]!;
        if (code === ABSENT) texts[slot] = undefined;
        else if (code === SAME) texts[slot] = previous[slot];
        else {
          const text = strings.slice(s, s + code);
          s += code;
          previous[slot] = text;
          texts[slot] = text;
        }
      }
      const target: Address = { namespace: texts[0]!, type: texts[1]!, id: texts[2]! };
      const caller: Address | undefined = texts[3] === undefined ? undefined : { namespace: texts[3], type: texts[4]!, id: texts[5]! };
      const argument: TypedValue = { typename: texts[6]!, value };
      messages[i] = caller === undefined ? { seq, keyGroup, target, argument } : { seq, keyGroup, target, caller, argument };
    }
    return messages;
  });
}

/** What `transfer` moves rather than copies of an encoded form. */
export function transferOf(encoded: EncodedMessages): ArrayBuffer[] {
  return [encoded.numbers.buffer as ArrayBuffer, encoded.bytes.buffer as ArrayBuffer];
}

/**
 * A batch's source advances with their messages left out, and those messages encoded; the
 * advances as they are, and no encoding, when they have no message or one that cannot be encoded.
 */
export function encodeSourceMessages(advances: Advances | undefined): {
  advances: Advances | undefined;
  encoded: EncodedMessages | undefined;
} {
  if (advances === undefined || advances.every((a) => a.messages.length === 0)) return { advances, encoded: undefined };
  const encoded = encodeMessages(advances.map((a) => a.messages));
  if (encoded === undefined) return { advances, encoded };
  return { advances: advances.map((a) => ({ ...a, messages: [] })), encoded };
}

/** The advances again, each with its messages (on the store's thread). */
export function decodeSourceMessages(advances: Advances, encoded: EncodedMessages): Advances {
  const lists = decodeMessages(encoded);
  return advances.map((a, i) => ({ ...a, messages: lists[i]! }));
}
