import {
  decodeKafkaProducerRecord,
  encodeKafkaProducerRecord,
  KAFKA_PRODUCER_RECORD_TYPE,
  type KafkaProducerRecordValue,
  parseTypeName,
} from "@statefun-ts/protocol";
import type { EgressRef } from "./refs.js";
import type { Type } from "./types.js";

/** A record for a Kafka egress: the topic, an optional key (UTF-8), and the value (bytes, or text written as UTF-8). */
export interface KafkaEgressRecord {
  readonly topic: string;
  readonly key?: string | undefined;
  readonly value: Uint8Array | string;
}

/** StateFun's `KafkaProducerRecord` (`type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord`), as functions of every StateFun SDK write it. */
export const KafkaProducerRecord: Type<KafkaEgressRecord, typeof KAFKA_PRODUCER_RECORD_TYPE> = {
  typename: KAFKA_PRODUCER_RECORD_TYPE,
  serialize: (record) => encodeKafkaProducerRecord(kafkaEgressRecord(record)).value,
  deserialize: (bytes): KafkaProducerRecordValue => decodeKafkaProducerRecord({ typename: KAFKA_PRODUCER_RECORD_TYPE, value: bytes }),
};

/**
 * Normalizes a Kafka egress record (text values become UTF-8 bytes, no key becomes "").
 *
 * @example
 * ctx.egress(orders, kafkaEgressRecord({ topic: "greetings", key: "bob", value: "Hello Bob" }));
 */
export function kafkaEgressRecord(record: KafkaEgressRecord): KafkaProducerRecordValue {
  if (record.topic === "") throw new TypeError("a Kafka egress record needs a topic");
  const value = typeof record.value === "string" ? new TextEncoder().encode(record.value) : record.value;
  return { topic: record.topic, key: record.key ?? "", value };
}

/**
 * A Kafka egress declared by a module (`io.statefun.kafka.v1/egress` with this `id`, or
 * `kafkaEgressSpec` in an embedded module): what `ctx.egress` writes Kafka records to.
 *
 * @example
 * const greetingsOut = kafkaEgress("example/greets");
 * ctx.egress(greetingsOut, { topic: "greetings", key: "bob", value: "Hello Bob" });
 */
export function kafkaEgress(id: string): EgressRef<KafkaEgressRecord> {
  parseTypeName(id);
  // Records of every egress that is not the playground's are kept under the egress id, with no topic (as remote functions write them).
  const ref: EgressRef<KafkaEgressRecord> = { egress: id, topic: "", type: KafkaProducerRecord };
  Object.defineProperty(ref, Symbol.for("statefun-ts.egress"), { value: true });
  return ref;
}
