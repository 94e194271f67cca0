import { StatefunError } from "./errors.js";
import { type KafkaProducerRecordBytes, readKafkaProducerRecord, writeKafkaProducerRecord } from "./kafka-record-wire.js";
import type { TypedValue } from "./typed-value.js";

export type { KafkaProducerRecordBytes } from "./kafka-record-wire.js";

/** The typename of a record for a Kafka egress, as every StateFun SDK writes it. */
export const KAFKA_PRODUCER_RECORD_TYPE = "type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord";

/** A record for a Kafka egress: `key` (UTF-8, "" for none), the value bytes and the topic. */
export interface KafkaProducerRecordValue {
  readonly topic: string;
  readonly key: string;
  readonly value: Uint8Array;
}

/** Encodes a Kafka egress record as StateFun's `KafkaProducerRecord` typed value. */
export function encodeKafkaProducerRecord(record: KafkaProducerRecordValue): TypedValue {
  return { typename: KAFKA_PRODUCER_RECORD_TYPE, value: writeKafkaProducerRecord(record.topic, record.key, record.value) };
}

/** Decodes a `KafkaProducerRecord` typed value; throws `STATEFUN_BAD_MESSAGE` naming what is wrong. */
export function decodeKafkaProducerRecord(argument: TypedValue): KafkaProducerRecordValue {
  const record = decodeKafkaProducerRecordBytes(argument);
  return { topic: record.topic, key: record.key.length === 0 ? "" : KEY_TEXT.decode(record.key), value: record.value };
}

const KEY_TEXT = new TextDecoder();

/**
 * Decodes a `KafkaProducerRecord` typed value with its key as the UTF-8 bytes written (what a
 * Kafka egress sends) and `key` and `value` views of the argument's bytes (no copy); throws
 * `STATEFUN_BAD_MESSAGE` naming what is wrong.
 */
export function decodeKafkaProducerRecordBytes(argument: TypedValue): KafkaProducerRecordBytes {
  if (argument.typename !== KAFKA_PRODUCER_RECORD_TYPE) {
    throw new StatefunError(
      "STATEFUN_BAD_MESSAGE",
      `a Kafka egress record must be a ${KAFKA_PRODUCER_RECORD_TYPE}, got ${argument.typename}`,
    );
  }
  let record: KafkaProducerRecordBytes;
  try {
    record = readKafkaProducerRecord(argument.value);
  } catch (cause) {
    throw new StatefunError("STATEFUN_BAD_MESSAGE", `a KafkaProducerRecord does not decode: ${(cause as Error).message}`, { cause });
  }
  if (record.topic === "") throw new StatefunError("STATEFUN_BAD_MESSAGE", "a KafkaProducerRecord has no topic");
  return record;
}
