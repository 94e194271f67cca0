import { fromBinary } from "@bufbuild/protobuf";
import { StatefunError } from "./errors.js";
import * as pb from "./gen/io/statefun/sdk/reqreply/request-reply_pb.js";
import { WireReader } from "./wire-reader.js";

// Hand-written decoders of the two hot messages of StateFun's request-reply protocol, giving
// plain objects with the fields (and names) of protobuf-es's messages that the runtime and the
// SDK read: a `ToFunction` batch, and a `FromFunction` with an invocation result. As protobuf-es:
// absent scalars read as their defaults, the last of a repeated scalar wins, a repeated message
// field merges, unknown fields are skipped. Malformed bytes throw.

export interface WireAddressFields {
  namespace: string;
  type: string;
  id: string;
}

export interface WireTypedValueFields {
  typename: string;
  hasValue: boolean;
  /** A copy of the bytes, never a view into the message. */
  value: Uint8Array;
}

export interface ToFunctionBatch {
  target: WireAddressFields | undefined;
  state: { stateName: string; stateValue: WireTypedValueFields | undefined }[];
  invocations: { caller: WireAddressFields | undefined; argument: WireTypedValueFields | undefined }[];
}

export interface InvocationResultFields {
  stateMutations: { mutationType: number; stateName: string; stateValue: WireTypedValueFields | undefined }[];
  outgoingMessages: { target: WireAddressFields | undefined; argument: WireTypedValueFields | undefined }[];
  delayedInvocations: {
    isCancellationRequest: boolean;
    cancellationToken: string;
    /** An int64, in a number (exact up to 2^53). */
    delayInMs: number;
    target: WireAddressFields | undefined;
    argument: WireTypedValueFields | undefined;
  }[];
  outgoingEgresses: { egressNamespace: string; egressType: string; argument: WireTypedValueFields | undefined }[];
}

/** A `FromFunction`: an invocation result, a state registration request (decoded by protobuf-es: rare), or neither. */
export type FromFunctionFields = {
  response:
    | { case: "invocationResult"; value: InvocationResultFields }
    | { case: "incompleteInvocationContext"; value: pb.FromFunction_IncompleteInvocationContext }
    | { case: undefined; value?: undefined };
};

/**
 * The invocation batch of a `ToFunction`, or `undefined` when it carries none; malformed bytes
 * throw `STATEFUN_BAD_MESSAGE` (as `decodeToFunction`).
 *
 * @example
 * const batch = decodeInvocationBatch(body); // batch?.target, batch?.state, batch?.invocations
 */
export function decodeInvocationBatch(bytes: Uint8Array): ToFunctionBatch | undefined {
  try {
    return invocationBatch(bytes);
  } catch (cause) {
    throw new StatefunError("STATEFUN_BAD_MESSAGE", `invalid ToFunction bytes: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}

function invocationBatch(bytes: Uint8Array): ToFunctionBatch | undefined {
  const r = new WireReader(bytes);
  let batch: ToFunctionBatch | undefined;
  while (r.pos < r.end) {
    const tag = r.varint32();
    if (tag === 802) {
      batch ??= { target: undefined, state: [], invocations: [] };
      const end = r.delimited();
      while (r.pos < end) {
        const t = r.varint32();
        if (t === 10) batch.target = address(r, batch.target);
        else if (t === 18) {
          const e = r.delimited();
          let stateName = "";
          let stateValue: WireTypedValueFields | undefined;
          while (r.pos < e) {
            const f = r.varint32();
            if (f === 10) stateName = r.string();
            else if (f === 18) stateValue = typedValue(r, stateValue);
            else skip(r, f);
          }
          within(r, e);
          batch.state.push({ stateName, stateValue });
        } else if (t === 26) {
          const e = r.delimited();
          let caller: WireAddressFields | undefined;
          let argument: WireTypedValueFields | undefined;
          while (r.pos < e) {
            const f = r.varint32();
            if (f === 10) caller = address(r, caller);
            else if (f === 18) argument = typedValue(r, argument);
            else skip(r, f);
          }
          within(r, e);
          batch.invocations.push({ caller, argument });
        } else skip(r, t);
      }
      within(r, end);
    } else skip(r, tag);
  }
  return batch;
}

/**
 * A `FromFunction`'s response. One with a state registration request (`incomplete_invocation_context`,
 * once per function type) is decoded by protobuf-es instead.
 *
 * @example
 * const { response } = decodeFromFunctionFields(body); // response.case: "invocationResult", …
 */
export function decodeFromFunctionFields(bytes: Uint8Array): FromFunctionFields {
  const r = new WireReader(bytes);
  let result: InvocationResultFields | undefined;
  let last: "invocationResult" | "incompleteInvocationContext" | undefined;
  while (r.pos < r.end) {
    const tag = r.varint32();
    if (tag === 802) {
      last = "invocationResult";
      result = invocationResult(r, result);
    } else if (tag === 810) {
      last = "incompleteInvocationContext";
      const end = r.delimited();
      // Counted before protobuf-es decodes them, as the effects of a result are.
      let specs = 0;
      while (r.pos < end) {
        const f = r.varint32();
        if (f === 10 && ++specs > MAX_RESPONSE_EFFECTS) throw tooMany(`states to register`);
        skip(r, f);
      }
      within(r, end);
    } else skip(r, tag);
  }
  if (last === "incompleteInvocationContext") {
    const slow = fromBinary(pb.FromFunctionSchema, bytes).response;
    if (slow.case === "incompleteInvocationContext") return { response: slow };
  }
  return result === undefined ? { response: { case: undefined } } : { response: { case: "invocationResult", value: result } };
}

/**
 * The most effects (state changes, messages, delayed messages, egress records), or states to
 * register, one response may carry. A 50 MB response of a million empty messages, within the default `payloadMaxBytes`, took
 * more memory decoded than the worker has, and crashed it again at every retry.
 */
export const MAX_RESPONSE_EFFECTS = 100_000;

function tooMany(what: string): StatefunError {
  return new StatefunError("STATEFUN_FUNCTION_FAILED", `the response carries more than ${MAX_RESPONSE_EFFECTS} ${what}`, {
    terminal: true,
  });
}

function invocationResult(r: WireReader, into: InvocationResultFields | undefined): InvocationResultFields {
  const result = into ?? { stateMutations: [], outgoingMessages: [], delayedInvocations: [], outgoingEgresses: [] };
  let effects =
    result.stateMutations.length + result.outgoingMessages.length + result.delayedInvocations.length + result.outgoingEgresses.length;
  const end = r.delimited();
  while (r.pos < end) {
    const t = r.varint32();
    const e = t === 10 || t === 18 || t === 26 || t === 34 ? r.delimited() : -1;
    if (e >= 0 && ++effects > MAX_RESPONSE_EFFECTS) {
      throw tooMany("effects (state changes, messages, delayed messages, egress records): send fewer per batch");
    }
    if (t === 10) {
      let mutationType = 0;
      let stateName = "";
      let stateValue: WireTypedValueFields | undefined;
      while (r.pos < e) {
        const f = r.varint32();
        if (f === 8) mutationType = r.varint32();
        else if (f === 18) stateName = r.string();
        else if (f === 26) stateValue = typedValue(r, stateValue);
        else skip(r, f);
      }
      result.stateMutations.push({ mutationType, stateName, stateValue });
    } else if (t === 18) {
      let target: WireAddressFields | undefined;
      let argument: WireTypedValueFields | undefined;
      while (r.pos < e) {
        const f = r.varint32();
        if (f === 10) target = address(r, target);
        else if (f === 18) argument = typedValue(r, argument);
        else skip(r, f);
      }
      result.outgoingMessages.push({ target, argument });
    } else if (t === 26) {
      const d = {
        isCancellationRequest: false,
        cancellationToken: "",
        delayInMs: 0,
        target: undefined as WireAddressFields | undefined,
        argument: undefined as WireTypedValueFields | undefined,
      };
      while (r.pos < e) {
        const f = r.varint32();
        if (f === 8) d.delayInMs = r.int64();
        else if (f === 18) d.target = address(r, d.target);
        else if (f === 26) d.argument = typedValue(r, d.argument);
        else if (f === 80) d.isCancellationRequest = r.int64() !== 0;
        else if (f === 90) d.cancellationToken = r.string();
        else skip(r, f);
      }
      result.delayedInvocations.push(d);
    } else if (t === 34) {
      let egressNamespace = "";
      let egressType = "";
      let argument: WireTypedValueFields | undefined;
      while (r.pos < e) {
        const f = r.varint32();
        if (f === 10) egressNamespace = r.string();
        else if (f === 18) egressType = r.string();
        else if (f === 26) argument = typedValue(r, argument);
        else skip(r, f);
      }
      result.outgoingEgresses.push({ egressNamespace, egressType, argument });
    } else skip(r, t);
    if (e >= 0) within(r, e);
  }
  within(r, end);
  return result;
}

function address(r: WireReader, into: WireAddressFields | undefined): WireAddressFields {
  const a = into ?? { namespace: "", type: "", id: "" };
  const end = r.delimited();
  while (r.pos < end) {
    const f = r.varint32();
    if (f === 10) a.namespace = r.string();
    else if (f === 18) a.type = r.string();
    else if (f === 26) a.id = r.string();
    else skip(r, f);
  }
  within(r, end);
  return a;
}

function typedValue(r: WireReader, into: WireTypedValueFields | undefined): WireTypedValueFields {
  const v = into ?? { typename: "", hasValue: false, value: EMPTY };
  const end = r.delimited();
  while (r.pos < end) {
    const f = r.varint32();
    if (f === 10) v.typename = r.string();
    else if (f === 16) v.hasValue = r.int64() !== 0;
    else if (f === 26) v.value = r.bytesCopy();
    else skip(r, f);
  }
  within(r, end);
  return v;
}

const EMPTY = new Uint8Array(0);

/** Skips an unknown field (or a known one of another wire type, as protobuf-es reads it: not as that field). */
function skip(r: WireReader, tag: number): void {
  if (tag >>> 3 === 0) throw new RangeError(`invalid field number 0 (tag ${tag})`);
  r.skip(tag & 7);
}

/** A nested message must end exactly where its length said. */
function within(r: WireReader, end: number): void {
  if (r.pos !== end) throw new RangeError("a nested field runs past the end of its message");
}
