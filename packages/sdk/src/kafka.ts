import {
  type Address,
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

const UTF8 = new TextEncoder();

/**
 * Normalizes a Kafka egress record (text values become UTF-8 bytes, no key becomes "").
 *
 * @example
 * ctx.egress(orders, kafkaEgressRecord({ topic: "greetings", key: "bob", value: "Hello Bob" }));
 */
export function kafkaEgressRecord(record: KafkaEgressRecord): KafkaProducerRecordValue {
  if (record.topic === "") throw new TypeError("a Kafka egress record needs a topic");
  const value = typeof record.value === "string" ? UTF8.encode(record.value) : record.value;
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

const kafkaBrand = Symbol.for("statefun-ts.kafka-io");

/** One topic of a Kafka ingress declared in TypeScript: values decoded as `type`, routed by `route`. */
export interface KafkaIngressTopic<T> {
  readonly topic: string;
  readonly type: Type<T>;
  /** The addresses a record goes to (default, as StateFun: nothing; give `targets` for key routing). */
  readonly route: (record: { readonly key: string | null; readonly value: T }) => readonly Address[];
}

/** A Kafka ingress declared by an embedded module (the fields of `io.statefun.kafka.v1/ingress`, with typed routers). */
export interface KafkaIngressDeclaration {
  readonly kind: "kafka-ingress";
  readonly id: string;
  readonly address: string;
  readonly consumerGroupId: string;
  readonly topics: readonly KafkaIngressTopic<any>[];
  readonly startupPosition?: "group-offsets" | "earliest" | "latest" | undefined;
  readonly autoOffsetResetPosition?: "earliest" | "latest" | undefined;
  readonly properties?: Readonly<Record<string, string>> | undefined;
}

/** A Kafka egress declared by an embedded module (the fields of `io.statefun.kafka.v1/egress`). */
export interface KafkaEgressDeclaration {
  readonly kind: "kafka-egress";
  readonly id: string;
  readonly address: string;
  readonly deliverySemantic?: "exactly-once" | "at-least-once" | "none" | undefined;
  /** Exactly-once: the Kafka transaction timeout in milliseconds (default 60,000). */
  readonly transactionTimeoutMs?: number | undefined;
  readonly properties?: Readonly<Record<string, string>> | undefined;
}

/**
 * Declares a Kafka ingress in an embedded module: each topic's values are decoded with its type
 * and routed by its `route` (records whose key is not the id, or that go to several addresses).
 * Export it from the module file (or list it in `statefunModule({ kafka: [...] })`).
 *
 * @example
 * export const orders = kafkaIngress({
 *   id: "shop/orders", address: "127.0.0.1:9092", consumerGroupId: "shop", startupPosition: "earliest",
 *   topics: [{ topic: "orders", type: Order, route: ({ value }) => [cart.at(value.userId)] }],
 * });
 */
export function kafkaIngress(declaration: Omit<KafkaIngressDeclaration, "kind">): KafkaIngressDeclaration {
  parseTypeName(declaration.id);
  const ingress: KafkaIngressDeclaration = { kind: "kafka-ingress", ...declaration };
  Object.defineProperty(ingress, kafkaBrand, { value: true });
  return ingress;
}

/**
 * Declares a Kafka egress in an embedded module; functions write to it with `kafkaEgress(id)`.
 *
 * @example
 * export const receipts = kafkaEgressSpec({ id: "shop/receipts", address: "127.0.0.1:9092", deliverySemantic: "exactly-once" });
 */
export function kafkaEgressSpec(declaration: Omit<KafkaEgressDeclaration, "kind">): KafkaEgressDeclaration {
  parseTypeName(declaration.id);
  const egress: KafkaEgressDeclaration = { kind: "kafka-egress", ...declaration };
  Object.defineProperty(egress, kafkaBrand, { value: true });
  return egress;
}

export function isKafkaDeclaration(value: unknown): value is KafkaIngressDeclaration | KafkaEgressDeclaration {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[kafkaBrand] === true;
}
