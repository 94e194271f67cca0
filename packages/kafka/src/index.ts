export type {
  ConsumedBatch,
  ConsumedRecord,
  ConsumerHandlers,
  ConsumerOptions,
  KafkaAdmin,
  KafkaClient,
  KafkaClientFactory,
  KafkaConsumer,
  KafkaProducer,
  KafkaTransaction,
  PartitionOffsets,
  ProducedRecord,
  ProducerOptions,
} from "./client.js";
export type { DelivererTurn, KafkaEgressOptions, KafkaEgressStatus, OrderedRow, Outbox } from "./egress.js";
export { KafkaEgress, PROGRESS_TOPIC } from "./egress.js";
export type { IngressProblem, KafkaIngressOptions, KafkaIngressStatus } from "./ingress.js";
export { KafkaIngress } from "./ingress.js";
export { kafkajsClient } from "./kafkajs.js";
export type { KafkaRouter } from "./records.js";
export { keyRouter } from "./records.js";
export type { DeliverySemantic, KafkaEgressSpec, KafkaIngressSpec, KafkaIngressTopic, StartupPosition } from "./spec.js";
export { brokersOf } from "./spec.js";
