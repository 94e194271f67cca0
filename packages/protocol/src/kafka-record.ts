import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { StatefunError } from "./errors.js";
import { KafkaProducerRecordSchema } from "./gen/io/statefun/sdk/egress/kafka-egress_pb.js";
import type { TypedValue } from "./typed-value.js";

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
  const message = create(KafkaProducerRecordSchema, { topic: record.topic, key: record.key, valueBytes: record.value });
  return { typename: KAFKA_PRODUCER_RECORD_TYPE, value: toBinary(KafkaProducerRecordSchema, message) };
}

/** Decodes a `KafkaProducerRecord` typed value; throws `STATEFUN_BAD_MESSAGE` naming what is wrong. */
export function decodeKafkaProducerRecord(argument: TypedValue): KafkaProducerRecordValue {
  if (argument.typename !== KAFKA_PRODUCER_RECORD_TYPE) {
    throw new StatefunError(
      "STATEFUN_BAD_MESSAGE",
      `a Kafka egress record must be a ${KAFKA_PRODUCER_RECORD_TYPE}, got ${argument.typename}`,
    );
  }
  let message: ReturnType<typeof fromBinary<typeof KafkaProducerRecordSchema>>;
  try {
    message = fromBinary(KafkaProducerRecordSchema, argument.value);
  } catch (cause) {
    throw new StatefunError("STATEFUN_BAD_MESSAGE", `a KafkaProducerRecord does not decode: ${(cause as Error).message}`, { cause });
  }
  if (message.topic === "") throw new StatefunError("STATEFUN_BAD_MESSAGE", "a KafkaProducerRecord has no topic");
  return { topic: message.topic, key: message.key, value: message.valueBytes };
}
