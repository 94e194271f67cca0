import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { Address } from "./address.js";
import { StatefunError } from "./errors.js";
import * as pb from "./gen/io/statefun/sdk/reqreply/request-reply_pb.js";
import type { TypedValue } from "./typed-value.js";

/** The generated messages of StateFun's request-reply protocol (`io.statefun.sdk.reqreply`). */
export * as reqreply from "./gen/io/statefun/sdk/reqreply/request-reply_pb.js";

function decode<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (cause) {
    throw new StatefunError("STATEFUN_BAD_MESSAGE", `invalid ${what} bytes: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}

export const decodeToFunction = (bytes: Uint8Array): pb.ToFunction => decode("ToFunction", () => fromBinary(pb.ToFunctionSchema, bytes));
export const encodeToFunction = (message: pb.ToFunction): Uint8Array => toBinary(pb.ToFunctionSchema, message);
export const decodeFromFunction = (bytes: Uint8Array): pb.FromFunction =>
  decode("FromFunction", () => fromBinary(pb.FromFunctionSchema, bytes));
export const encodeFromFunction = (message: pb.FromFunction): Uint8Array => toBinary(pb.FromFunctionSchema, message);

/** Our value as a wire `TypedValue` (`has_value` false for no value). */
export function toWireValue(value: TypedValue | undefined, typename = ""): pb.TypedValue {
  return value === undefined
    ? create(pb.TypedValueSchema, { typename, hasValue: false })
    : create(pb.TypedValueSchema, { typename: value.typename, hasValue: true, value: value.value });
}

/** A wire `TypedValue` as ours; `undefined` when it is absent or has no value. */
export function fromWireValue(value: Pick<pb.TypedValue, "typename" | "hasValue" | "value"> | undefined): TypedValue | undefined {
  return value?.hasValue ? { typename: value.typename, value: value.value } : undefined;
}

export function toWireAddress(a: Address): pb.Address {
  return create(pb.AddressSchema, { namespace: a.namespace, type: a.type, id: a.id });
}

export function fromWireAddress(a: Pick<pb.Address, "namespace" | "type" | "id"> | undefined): Address | undefined {
  return a === undefined ? undefined : { namespace: a.namespace, type: a.type, id: a.id };
}
