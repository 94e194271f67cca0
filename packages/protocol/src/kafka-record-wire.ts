import { utf8Size, varintSize } from "./wire-writer.js";

/**
 * StateFun's `KafkaProducerRecord` (`string key = 1; bytes value_bytes = 2; string topic = 3;`) in
 * the protobuf wire format, written and read by hand: it is on the path of every Kafka egress
 * record (written by the function, read by the egress), where the reflection of the generated
 * codec cost about 2 µs per record each way. The output is what the generated codec writes (fields
 * in number order, empty ones left out), and reading follows protobuf's rules (unknown fields
 * skipped, the last occurrence of a field wins); `kafka-record.test.ts` checks both against the
 * generated codec.
 */

const KEY_TAG = (1 << 3) | 2;
const VALUE_TAG = (2 << 3) | 2;
const TOPIC_TAG = (3 << 3) | 2;
const utf8 = new TextEncoder();
const text = new TextDecoder();
const EMPTY: Uint8Array = new Uint8Array(0);

/** A `KafkaProducerRecord` as bytes: `key` is the key's UTF-8 (empty for none); `value` and `key` may share the buffer read. */
export interface KafkaProducerRecordBytes {
  readonly topic: string;
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

const fieldSize = (length: number) => (length === 0 ? 0 : 1 + varintSize(length) + length);

function writeHead(out: Uint8Array, at: number, tag: number, length: number): number {
  out[at++] = tag;
  let n = length;
  while (n >= 0x80) {
    out[at++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  out[at++] = n;
  return at;
}

/** Writes string field `tag` of `length` UTF-8 bytes (nothing when empty); ASCII byte by byte, the rest with `encodeInto`. */
function writeText(out: Uint8Array, at: number, tag: number, s: string, length: number): number {
  if (length === 0) return at;
  at = writeHead(out, at, tag, length);
  if (length === s.length) {
    for (let i = 0; i < length; i++) out[at + i] = s.charCodeAt(i);
  } else {
    utf8.encodeInto(s, out.subarray(at, at + length));
  }
  return at + length;
}

/** Writes the record's wire bytes. */
export function writeKafkaProducerRecord(topic: string, key: string, value: Uint8Array): Uint8Array {
  const keyLength = utf8Size(key);
  const topicLength = utf8Size(topic);
  const out = new Uint8Array(fieldSize(keyLength) + fieldSize(value.length) + fieldSize(topicLength));
  let at = writeText(out, 0, KEY_TAG, key, keyLength);
  if (value.length > 0) {
    at = writeHead(out, at, VALUE_TAG, value.length);
    out.set(value, at);
    at += value.length;
  }
  writeText(out, at, TOPIC_TAG, topic, topicLength);
  return out;
}

/** The last topic read, as bytes and text: a run of records mostly goes to one topic (no decoding each time). */
let lastTopic: { bytes: Uint8Array; text: string } = { bytes: new Uint8Array(0), text: "" };

function topicText(bytes: Uint8Array): string {
  const last = lastTopic.bytes;
  if (bytes.length === last.length) {
    let same = true;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] !== last[i]) {
        same = false;
        break;
      }
    }
    if (same) return lastTopic.text;
  }
  lastTopic = { bytes: bytes.slice(), text: text.decode(bytes) };
  return lastTopic.text;
}

/** Reads a record's wire bytes; throws an Error saying what is wrong when they are not one. */
export function readKafkaProducerRecord(bytes: Uint8Array): KafkaProducerRecordBytes {
  const r = { bytes, at: 0 };
  let key = EMPTY;
  let value = EMPTY;
  let topic = EMPTY;
  while (r.at < bytes.length) {
    const tag = varint(r);
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (field >= 1 && field <= 3) {
      if (wireType !== 2) throw new Error(`field ${field} has wire type ${wireType}, not 2 (length-delimited)`);
      const data = lengthDelimited(r);
      if (field === 1) key = data;
      else if (field === 2) value = data;
      else topic = data;
    } else {
      skip(r, field, wireType);
    }
  }
  return { topic: topicText(topic), key, value };
}

interface Reader {
  readonly bytes: Uint8Array;
  at: number;
}

/** A varint of up to 64 bits, as a number (exact up to 2^53; lengths and tags are far below). */
function varint(r: Reader): number {
  let result = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (r.at >= r.bytes.length) throw new Error("premature end of data in a varint");
    const b = r.bytes[r.at++]!;
    result += (b & 0x7f) * scale;
    if (b < 0x80) return result;
    scale *= 128;
  }
  throw new Error("a varint longer than 10 bytes");
}

function lengthDelimited(r: Reader): Uint8Array {
  const length = varint(r);
  const end = r.at + length;
  if (end > r.bytes.length) throw new Error(`premature end of data: a field of ${length} bytes at ${r.at} in ${r.bytes.length}`);
  const data = r.bytes.subarray(r.at, end);
  r.at = end;
  return data;
}

/** Skips an unknown field (groups included, up to their end tag). */
function skip(r: Reader, field: number, wireType: number): void {
  switch (wireType) {
    case 0:
      varint(r);
      return;
    case 1:
      r.at += 8;
      break;
    case 2:
      lengthDelimited(r);
      return;
    case 5:
      r.at += 4;
      break;
    case 3:
      for (;;) {
        if (r.at >= r.bytes.length) throw new Error(`premature end of data in group ${field}`);
        const tag = varint(r);
        if ((tag & 7) === 4) {
          if (tag >>> 3 !== field) throw new Error(`group ${field} ends with the end tag of ${tag >>> 3}`);
          return;
        }
        skip(r, tag >>> 3, tag & 7);
      }
    default:
      throw new Error(`wire type ${wireType} of field ${field} is not valid here`);
  }
  if (r.at > r.bytes.length) throw new Error("premature end of data in a fixed-size field");
}
