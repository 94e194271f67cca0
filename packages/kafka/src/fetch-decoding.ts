/**
 * A Fetch response (version 11) decoded as kafkajs 2.2.4 decodes it, into the same objects
 * (fetch-decoding.test.ts compares the two), when every record batch in it is an uncompressed
 * RecordBatch v2; `undefined` otherwise (the caller then has kafkajs decode it). kafkajs decodes
 * each record with a decoder object of its own and its offset and timestamp through 64-bit `Long`
 * objects (from the batch's decimal strings, back to strings): about 5 µs of the main thread per
 * record. Here the integers are plain numbers while they are exact (offsets and epoch
 * milliseconds are), `BigInt` past that.
 *
 *   throttle_time_ms error_code session_id [topic [partition error_code high_watermark
 *   last_stable_offset log_start_offset [producer_id first_offset] preferred_read_replica records]]
 */

const TIMESTAMP_TYPE_FLAG = 0x8;
const TRANSACTIONAL_FLAG = 0x10;
const CONTROL_FLAG = 0x20;
const COMPRESSION_MASK = 0x7;
/** kafkajs' `TimestampTypes`. */
const CREATE_TIME = 0;
const LOG_APPEND_TIME = 1;
/** Bytes of a batch from its first offset to its first record (kafkajs reads a batch only when that many are left). */
const RECORD_BATCH_OVERHEAD = 49;
const MAGIC_OFFSET = 16;

export interface DecodedFetch {
  throttleTime: 0;
  clientSideThrottleTime: number;
  errorCode: number;
  sessionId: number;
  responses: { topicName: string | null; partitions: unknown[] }[];
}

/** A batch's shape was not the one this decoder reads: kafkajs is to decode the response. */
class NotDecodable extends Error {}

class Reader {
  offset = 0;
  constructor(readonly buf: Buffer) {}

  int8(): number {
    const v = this.buf.readInt8(this.offset);
    this.offset += 1;
    return v;
  }
  int16(): number {
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }
  int32(): number {
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  /** A 64-bit integer as the decimal string kafkajs gives. */
  int64String(): string {
    return String(this.int64());
  }
  /** A 64-bit integer: a number when exact, a bigint otherwise. */
  int64(): number | bigint {
    const hi = this.buf.readInt32BE(this.offset);
    const lo = this.buf.readUInt32BE(this.offset + 4);
    this.offset += 8;
    if (hi >= -0x200000 && hi < 0x200000) return hi * 0x1_0000_0000 + lo;
    return (BigInt(hi) << 32n) | BigInt(lo);
  }
  string(): string | null {
    const length = this.int16();
    if (length === -1) return null;
    const value = this.buf.toString("utf8", this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
  /** A zigzag varint (32-bit). */
  varInt(): number {
    let result = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = this.buf[this.offset++]!;
      if (byte === undefined) throw new RangeError("varint past the end");
      result |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte >= 0x80 && shift < 35);
    return (result >>> 1) ^ -(result & 1);
  }
  /** A zigzag varlong: a number while it fits in 49 bits (deltas do), a bigint past that. */
  varLong(): number | bigint {
    const start = this.offset;
    let u = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      const byte = this.buf[this.offset++];
      if (byte === undefined) throw new RangeError("varlong past the end");
      u += (byte & 0x7f) * scale;
      if (byte < 0x80) return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
      scale *= 128;
    }
    this.offset = start;
    let result = 0n;
    let shift = 0n;
    let byte: number | undefined;
    do {
      byte = this.buf[this.offset++];
      if (byte === undefined) throw new RangeError("varlong past the end");
      result |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
    } while (byte >= 0x80 && shift < 70n);
    const v = (result >> 1n) ^ -(result & 1n);
    return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
  }
  /** Bytes with a varint length (null for -1): a view of the response, as kafkajs' `slice`. */
  varIntBytes(): Buffer | null {
    const length = this.varInt();
    if (length === -1) return null;
    const value = this.buf.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
}

/** `a + b` as a decimal string, `a` given as one. */
function plus(a: string, b: number | bigint): string {
  const n = Number(a);
  if (typeof b === "number" && Number.isSafeInteger(n) && Number.isSafeInteger(n + b)) return String(n + b);
  return String(BigInt(a) + BigInt(b));
}

/** Decodes a Fetch v11 response as kafkajs does, or returns undefined when a batch is compressed or not v2. */
export function decodeFetchResponse(raw: Buffer): DecodedFetch | undefined {
  const r = new Reader(raw);
  try {
    const clientSideThrottleTime = r.int32();
    const errorCode = r.int16();
    const sessionId = r.int32();
    const responses: DecodedFetch["responses"] = [];
    for (let topics = r.int32(); topics > 0; topics--) {
      const topicName = r.string();
      const partitions: unknown[] = [];
      for (let n = r.int32(); n > 0; n--) partitions.push(partition(r));
      responses.push({ topicName, partitions });
    }
    return { throttleTime: 0, clientSideThrottleTime, errorCode, sessionId, responses };
  } catch (error) {
    if (error instanceof NotDecodable) return undefined;
    throw error;
  }
}

function partition(r: Reader) {
  const partition = r.int32();
  const errorCode = r.int16();
  const highWatermark = r.int64String();
  const lastStableOffset = r.int64String();
  const lastStartOffset = r.int64String();
  const abortedTransactions: { producerId: string; firstOffset: string }[] = [];
  for (let n = r.int32(); n > 0; n--) abortedTransactions.push({ producerId: r.int64String(), firstOffset: r.int64String() });
  const preferredReadReplica = r.int32();
  return {
    partition,
    errorCode,
    highWatermark,
    lastStableOffset,
    lastStartOffset,
    abortedTransactions,
    preferredReadReplica,
    messages: messages(r),
  };
}

/** The records of a partition's record set (kafkajs' `decodeMessages`: a partial batch at its end is left out). */
function messages(r: Reader): unknown[] {
  const size = r.int32();
  if (size <= 0 || r.offset + size > r.buf.length) return [];
  const end = r.offset + size;
  if (size <= MAGIC_OFFSET || r.buf.readInt8(r.offset + MAGIC_OFFSET) !== 2) throw new NotDecodable();
  const records: unknown[] = [];
  while (end - r.offset >= RECORD_BATCH_OVERHEAD) {
    const firstOffset = r.int64String();
    const length = r.int32();
    if (end - r.offset < length) break;
    const batchEnd = r.offset + length;
    batch(r, firstOffset, records);
    r.offset = batchEnd;
  }
  r.offset = end;
  return records;
}

function batch(r: Reader, firstOffset: string, records: unknown[]): void {
  const partitionLeaderEpoch = r.int32();
  const magicByte = r.int8();
  r.offset += 4; // CRC (kafkajs does not check it either)
  const attributes = r.int16();
  if ((attributes & COMPRESSION_MASK) !== 0 || magicByte !== 2) throw new NotDecodable();
  const lastOffsetDelta = r.int32();
  const firstTimestamp = r.int64String();
  const maxTimestamp = r.int64String();
  const producerId = r.int64String();
  const producerEpoch = r.int16();
  const firstSequence = r.int32();
  const isControlBatch = (attributes & CONTROL_FLAG) > 0;
  const timestampType = (attributes & TIMESTAMP_TYPE_FLAG) > 0 ? LOG_APPEND_TIME : CREATE_TIME;
  const batchContext = {
    firstOffset,
    firstTimestamp,
    partitionLeaderEpoch,
    inTransaction: (attributes & TRANSACTIONAL_FLAG) > 0,
    isControlBatch,
    lastOffsetDelta,
    producerId,
    producerEpoch,
    firstSequence,
    maxTimestamp,
    timestampType,
    magicByte,
  };
  const base = Number(firstOffset);
  const baseTime = Number(firstTimestamp);
  const appendTime = timestampType === LOG_APPEND_TIME && maxTimestamp;
  for (let count = r.int32(); count > 0; count--) {
    const length = r.varInt();
    const recordEnd = r.offset + length;
    if (length < 0 || recordEnd > r.buf.length) throw new RangeError("record past the end");
    const recordAttributes = r.int8();
    const timestampDelta = r.varLong();
    const offsetDelta = r.varInt();
    const key = r.varIntBytes();
    const value = r.varIntBytes();
    const headerCount = r.varInt();
    let headers: Record<string, Buffer | null | (Buffer | null)[]> = {};
    for (let h = 0; h < headerCount; h++) headers = header(r, headers);
    r.offset = recordEnd;
    const offset = Number.isSafeInteger(base + offsetDelta) ? String(base + offsetDelta) : plus(firstOffset, offsetDelta);
    const timestamp = appendTime
      ? maxTimestamp
      : typeof timestampDelta === "number" && Number.isSafeInteger(baseTime + timestampDelta)
        ? String(baseTime + timestampDelta)
        : plus(firstTimestamp, timestampDelta);
    records.push({
      magicByte,
      attributes: recordAttributes,
      timestamp,
      offset,
      key,
      value,
      headers,
      isControlRecord: isControlBatch,
      batchContext,
    });
  }
}

/** One header added to `headers` as kafkajs does (a repeated key collects its values in an array). */
function header(r: Reader, headers: Record<string, Buffer | null | (Buffer | null)[]>) {
  const keyLength = r.varInt();
  const key = keyLength === -1 ? "null" : r.buf.toString("utf8", r.offset, r.offset + keyLength);
  if (keyLength > 0) r.offset += keyLength;
  const value = r.varIntBytes();
  const seen = headers[key];
  return { ...headers, [key]: seen === undefined ? value : Array.isArray(seen) ? seen.concat([value]) : [seen, value] };
}
