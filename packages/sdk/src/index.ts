export type { Address, Duration, TypedValue } from "@statefun-ts/protocol";
export { address, StatefunError, toMillis } from "@statefun-ts/protocol";
export type { Answer, AnswerOf, AskArgs, AskContextOf, AskDeclaration, AskOptions, AskSpecs, CallOf, RequestOf } from "./ask-types.js";
export type { Call, ReplyTo } from "./call.js";
export { callType, isCall } from "./call.js";
export type { ListSpec, ListState, MapSpec, MapState } from "./collections.js";
export { listSpec, mapSpec } from "./collections.js";
export type { AnyStateSpec, Context, SendAfterOptions, StateAccess, StateSpecs } from "./context.js";
export type {
  CommonDefinition,
  DispatchDefinition,
  FunctionDefinition,
  Handlers,
  MessageSpecs,
  Replies,
  RepliesFor,
} from "./definition.js";
export type { RetryPolicy, StatefulFunction } from "./function.js";
export { isStatefulFunction, statefulFunction } from "./function.js";
export type { HttpIngress } from "./ingress.js";
export { httpIngress } from "./ingress.js";
export type { KafkaEgressDeclaration, KafkaEgressRecord, KafkaIngressDeclaration, KafkaIngressTopic } from "./kafka.js";
export { isKafkaDeclaration, KafkaProducerRecord, kafkaEgress, kafkaEgressRecord, kafkaEgressSpec, kafkaIngress } from "./kafka.js";
export type { Message } from "./message.js";
export type { StatefunModule } from "./module.js";
export { statefunModule } from "./module.js";
export type { EgressRef, FunctionRef, TypedAddress } from "./refs.js";
export { egressRef, functionRef, PLAYGROUND_EGRESS } from "./refs.js";
export type { Servable } from "./serve/functions.js";
export type { RequestHandler } from "./serve/handler.js";
export { requestHandler } from "./serve/handler.js";
export type { Expiration, ValueSpec, ValueSpecOptions, ValueState } from "./state.js";
export { valueSpec } from "./state.js";
export type { JsonSchema, Type, ValueOf } from "./types.js";
export { customType, isType, jsonType, protobufType, Types } from "./types.js";
