/**
 * The body of a Produce request (versions 3 to 8, one schema) written in one pass into one
 * Buffer: what kafkajs 2.2.4 writes for uncompressed records without timestamps or headers, byte
 * for byte (produce-encoding.test.ts compares the two). kafkajs builds each record as an object
 * spread from the message and an `Encoder` of its own (a Buffer allocated and copied per record,
 * timestamps as 64-bit `Long` objects): about 10 µs of the main thread per record, the largest
 * part of the egress' CPU. kafkajs-produce.ts puts this in its place.
 *
 *   transactional_id acks timeout [topic [partition record_set]]
 *   record_set = RecordBatch v2: base offset, length, leader epoch, magic 2, CRC-32C, attributes,
 *                last offset delta, first and max timestamp, producer id and epoch, base sequence,
 *                [record]
 *   record = length attributes timestamp_delta offset_delta key value [header] (zigzag varints)
 */

/** A record as kafkajs hands it to the encoder: key and value bytes (a null key is written as such). */
export interface EncodableMessage {
  readonly key?: Buffer | null | undefined;
  readonly value: Buffer | null;
}

export interface ProducePartition {
  readonly partition: number;
  readonly firstSequence?: number | undefined;
  readonly messages: readonly EncodableMessage[];
}

export interface ProduceRequest {
  readonly transactionalId?: string | null | undefined;
  readonly acks: number;
  readonly timeout: number;
  /** kafkajs' producer id: a decimal string once the broker gave one, `-1` (or absent) otherwise. */
  readonly producerId?: string | number | { toString(): string } | undefined;
  readonly producerEpoch?: number | undefined;
  readonly topicData: readonly { readonly topic: string; readonly partitions: readonly ProducePartition[] }[];
}

/** Fixed bytes of a record batch from its leader epoch to its record count (what its length counts before the records). */
const BATCH_HEADER = 4 + 1 + 4 + 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;
const TRANSACTIONAL = 16;

/** Bytes of `n` as a zigzag varint (32-bit). */
function varIntSize(n: number): number {
  let v = ((n << 1) ^ (n >> 31)) >>> 0;
  let size = 1;
  while (v >= 0x80) {
    v >>>= 7;
    size++;
  }
  return size;
}

function writeVarInt(buf: Buffer, at: number, n: number): number {
  let v = ((n << 1) ^ (n >> 31)) >>> 0;
  while (v >= 0x80) {
    buf[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[at++] = v;
  return at;
}

/** Bytes of a record's body (after its length). */
function bodySize(m: EncodableMessage, offsetDelta: number): number {
  const key = m.key ?? null;
  const value = m.value;
  return (
    1 + // attributes
    1 + // timestamp delta 0
    varIntSize(offsetDelta) +
    (key === null ? 1 : varIntSize(key.length) + key.length) +
    (value === null ? 1 : varIntSize(value.length) + value.length) +
    1 // no headers
  );
}

/** Writes the body of a Produce request (v3–v8) for `request`, with `now` as every record's timestamp. */
export function encodeProduceRequest(request: ProduceRequest, now: number = Date.now()): Buffer {
  const transactionalId = request.transactionalId ?? null;
  const idBytes = transactionalId === null ? 0 : Buffer.byteLength(transactionalId);
  let size = 2 + idBytes + 2 + 4 + 4;
  // Every record's body size, computed once here and written below.
  const bodies: number[] = [];
  for (const { topic, partitions } of request.topicData) {
    size += 2 + Buffer.byteLength(topic) + 4;
    for (const { messages } of partitions) {
      size += 4 + 4 + 8 + 4 + BATCH_HEADER;
      for (let i = 0; i < messages.length; i++) {
        const body = bodySize(messages[i]!, i);
        bodies.push(body);
        size += varIntSize(body) + body;
      }
    }
  }
  const buf = Buffer.allocUnsafe(size);
  let at = buf.writeInt16BE(transactionalId === null ? -1 : idBytes, 0);
  if (transactionalId !== null) at += buf.write(transactionalId, at);
  at = buf.writeInt16BE(request.acks, at);
  at = buf.writeInt32BE(request.timeout, at);
  at = buf.writeInt32BE(request.topicData.length, at);
  const producerId = BigInt(String(request.producerId ?? -1));
  const producerEpoch = request.producerEpoch ?? 0;
  const attributes = transactionalId === null ? 0 : TRANSACTIONAL;
  const timestamp = BigInt(now);
  let body = 0;
  for (const { topic, partitions } of request.topicData) {
    at = buf.writeInt16BE(Buffer.byteLength(topic), at);
    at += buf.write(topic, at);
    at = buf.writeInt32BE(partitions.length, at);
    for (const { partition, firstSequence, messages } of partitions) {
      at = buf.writeInt32BE(partition, at);
      const setSizeAt = at;
      at = buf.writeBigInt64BE(0n, at + 4); // base offset
      const lengthAt = at;
      at = buf.writeInt32BE(0, at + 4); // partition leader epoch (0, as kafkajs writes)
      at = buf.writeInt8(2, at); // magic
      const crcAt = at;
      at = buf.writeInt16BE(attributes, at + 4);
      at = buf.writeInt32BE(messages.length - 1, at);
      at = buf.writeBigInt64BE(timestamp, at);
      at = buf.writeBigInt64BE(timestamp, at);
      at = buf.writeBigInt64BE(producerId, at);
      at = buf.writeInt16BE(producerEpoch, at);
      at = buf.writeInt32BE(firstSequence ?? 0, at);
      at = buf.writeInt32BE(messages.length, at);
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i]!;
        at = writeVarInt(buf, at, bodies[body++]!);
        buf[at++] = 0; // attributes
        buf[at++] = 0; // timestamp delta
        at = writeVarInt(buf, at, i);
        const key = m.key ?? null;
        if (key === null) at = writeVarInt(buf, at, -1);
        else {
          at = writeVarInt(buf, at, key.length);
          at += key.copy(buf, at);
        }
        const value = m.value;
        if (value === null) at = writeVarInt(buf, at, -1);
        else {
          at = writeVarInt(buf, at, value.length);
          at += value.copy(buf, at);
        }
        buf[at++] = 0; // headers
      }
      buf.writeInt32BE(at - setSizeAt - 4, setSizeAt);
      buf.writeInt32BE(at - lengthAt - 4, lengthAt);
      buf.writeUInt32BE(crc32c(buf, crcAt + 4, at), crcAt);
    }
  }
  return buf;
}

/** CRC-32C (Castagnoli), as Kafka's record batches carry it, of `buf[from, to)`. */
export function crc32c(buf: Uint8Array, from = 0, to = buf.length): number {
  let crc = -1;
  for (let i = from; i < to; i++) crc = CRC_TABLE[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c;
  }
  return table;
})();
