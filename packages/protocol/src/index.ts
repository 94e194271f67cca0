export { create } from "@bufbuild/protobuf";
export type { Address } from "./address.js";
export { address, addressKey, checkAddress, formatAddress, functionTypeOf, keyGroupOf, sameAddress } from "./address.js";
export type { WrapperCodec } from "./builtin.js";
export { BoolCodec, BuiltinTypeNames, DoubleCodec, FloatCodec, IntCodec, LongCodec, StringCodec } from "./builtin.js";
export type { Duration } from "./duration.js";
export { MAX_DURATION_MS, toMillis } from "./duration.js";
export type { DelayedEffect, Effects, EgressRecord, Expiration, OutgoingMessage, RetryPolicy } from "./effects.js";
export { DEFAULT_RETRY, emptyEffects } from "./effects.js";
export { errorText } from "./error-text.js";
export type { ErrorCode } from "./errors.js";
export { StatefunError } from "./errors.js";
export type { KafkaProducerRecordBytes, KafkaProducerRecordValue } from "./kafka-record.js";
export {
  decodeKafkaProducerRecord,
  decodeKafkaProducerRecordBytes,
  encodeKafkaProducerRecord,
  KAFKA_PRODUCER_RECORD_TYPE,
} from "./kafka-record.js";
export {
  decodeFromFunction,
  decodeToFunction,
  encodeFromFunction,
  encodeToFunction,
  fromWireAddress,
  fromWireValue,
  reqreply,
  toWireAddress,
  toWireValue,
} from "./reqreply.js";
export type { TypedValue } from "./typed-value.js";
export type { TypeName } from "./typename.js";
export { formatTypeName, parseTypeName } from "./typename.js";
export type {
  FromFunctionFields,
  InvocationResultFields,
  ToFunctionBatch,
  WireAddressFields,
  WireTypedValueFields,
} from "./wire-decode.js";
export { decodeFromFunctionFields, decodeInvocationBatch, MAX_RESPONSE_EFFECTS } from "./wire-decode.js";
export type { WireDelayed, WireEgress, WireInvocation, WireInvocationResponse, WireMutation, WireState } from "./wire-encode.js";
export { encodeInvocationBatch, encodeInvocationResponse } from "./wire-encode.js";
