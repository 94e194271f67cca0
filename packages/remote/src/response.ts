import {
  type Address,
  decodeFromFunctionFields,
  type FromFunctionFields,
  fromWireAddress,
  type InvocationResultFields,
  MAX_DURATION_MS,
  reqreply,
  StatefunError,
  StringCodec,
  type TypedValue,
  type WireAddressFields,
  type WireTypedValueFields,
} from "@statefun-ts/protocol";
import type { StateSpecInfo } from "@statefun-ts/runtime";
import { PLAYGROUND_EGRESS } from "@statefun-ts/sdk";
import type { DelayedEffect, Effects, EgressRecord } from "@statefun-ts/sdk/internal";
import { preview } from "./retry.js";
import { missingSpecs } from "./specs.js";
import { scopedToken } from "./tokens.js";

/** What a function answered: the effects of the batch, or the states it needs registered first. */
export type RemoteOutcome =
  | { readonly kind: "effects"; readonly effects: Effects }
  | { readonly kind: "missing"; readonly specs: StateSpecInfo[] };

const MutationType = reqreply.FromFunction_PersistedValueMutation_MutationType;
export const EGRESS_RECORD = "io.statefun.playground/EgressRecord";

/**
 * Decodes a `FromFunction` body; `where` ("fn at url") prefixes every error. A response that
 * breaks the protocol (a mutation of an unregistered state, a state value of another type than
 * registered, a message without a target…) is a terminal `StatefunError`. A textual content
 * type is tolerated on a body that decodes to a response (a framework default the endpoint
 * forgot to override), not on one that decodes to nothing: that is an error page. A response
 * that carries neither an invocation result nor a state registration request is a retryable
 * (`terminal: false`) protocol error: it cannot stand for the batch it answers. With `sender` (the
 * address the batch went to), cancellation tokens are scoped by its id, as StateFun scopes them
 * (see scopedToken).
 *
 * @example
 * const outcome = decodeResponse(body, "application/octet-stream", "example/greeter", stateSpecs.get("example/greeter"), "example/greeter at http://fns/greeter");
 */
export function decodeResponse(
  body: Uint8Array,
  contentType: string | undefined,
  functionType: string,
  specs: readonly StateSpecInfo[],
  where: string,
  sender?: Address,
): RemoteOutcome {
  const response = parseResponse(body, contentType, where);
  const empty = emptyResponse(response, body);
  if (empty !== undefined) throw new StatefunError("STATEFUN_FUNCTION_FAILED", `${where}: ${empty}`, { terminal: false });
  return responseOutcome(response, functionType, specs, where, sender);
}

/**
 * Decodes a `FromFunction` body; throws a terminal `StatefunError` when it is not one, or when a
 * textual body decodes to nothing (an error page served with a 2xx).
 */
export function parseResponse(body: Uint8Array, contentType: string | undefined, where: string): FromFunctionFields {
  const notFromFunction = (cause?: unknown) =>
    fail(
      `${where}: the response is not a FromFunction message (${body.length} bytes, Content-Type ${contentType ?? "none"})${preview(body, ": ")}`,
      cause,
    );
  let response: FromFunctionFields;
  try {
    response = decodeFromFunctionFields(body);
  } catch (cause) {
    // A response too large to apply is a FromFunction still: say what is wrong with it.
    if (StatefunError.is(cause)) throw fail(`${where}: ${cause.message}`, cause);
    throw notFromFunction(cause);
  }
  if (response.response.case === undefined && body.length > 0 && /^text\/|json|html|xml/i.test(contentType ?? "")) throw notFromFunction();
  return response;
}

/**
 * Why a decoded response is a protocol error worth retrying: it carries neither an invocation
 * result nor a state registration request (an empty body, or an empty `FromFunction`), so it
 * cannot stand for the batch. `undefined` for a response that carries one.
 */
export function emptyResponse(response: FromFunctionFields, body: Uint8Array): string | undefined {
  if (response.response.case !== undefined) return undefined;
  return `protocol error: the response (${body.length} bytes) carries neither an invocation result nor a state registration request`;
}

/**
 * The effects of a decoded response, or the states it asks to register; protocol breaches are
 * terminal. With `sender`, cancellation tokens are scoped by its id (see scopedToken); a
 * cancellation also cancels the unscoped token, which delayed messages stored before tokens were
 * scoped carry.
 */
export function responseOutcome(
  response: FromFunctionFields,
  functionType: string,
  specs: readonly StateSpecInfo[],
  where: string,
  sender?: Address,
): RemoteOutcome {
  const scoped = (token: string) => (sender === undefined ? token : scopedToken(sender.id, token));
  const r = response.response;
  if (r.case === "incompleteInvocationContext") return { kind: "missing", specs: missingSpecs(r.value, where) };
  if (r.case === undefined) throw fail(`${where}: ${emptyResponse(response, new Uint8Array())}`);
  const result = r.value;
  const messages = result.outgoingMessages.map((m) => ({ target: target(m.target, where), argument: argument(m.argument, where) }));
  const delayed = result.delayedInvocations.flatMap((d): DelayedEffect[] => {
    if (d.isCancellationRequest) {
      const token = d.cancellationToken;
      if (!token) throw fail(`${where}: a cancellation request without a cancellation token`);
      const cancel = { kind: "cancel", cancellationToken: scoped(token) } as const;
      return sender === undefined ? [cancel] : [cancel, { kind: "cancel", cancellationToken: token }];
    }
    const delayMs = Math.max(0, Number(d.delayInMs));
    if (delayMs > MAX_DURATION_MS) {
      throw fail(
        `${where}: a delayed message with a delay of ${d.delayInMs} ms, longer than the longest, 10000 years (${MAX_DURATION_MS} ms)`,
      );
    }
    return [
      {
        kind: "send",
        delayMs,
        target: target(d.target, where),
        argument: argument(d.argument, where),
        cancellationToken: d.cancellationToken ? scoped(d.cancellationToken) : undefined,
      },
    ];
  });
  const egress = result.outgoingEgresses.map((e) => egressRecord(e, where));
  const state = new Map<string, TypedValue | null>();
  for (const m of result.stateMutations) {
    const spec = specs.find((s) => s.name === m.stateName);
    if (spec === undefined) {
      const known = specs.map((s) => s.name).join(", ") || "none";
      throw fail(
        `${where}: function ${functionType} mutates state ${JSON.stringify(m.stateName)}, which it never registered (registered: ${known})`,
      );
    }
    if (m.mutationType === MutationType.DELETE) {
      state.set(m.stateName, null);
    } else if (m.mutationType === MutationType.MODIFY) {
      const value = argument(m.stateValue, where);
      if (value.typename !== spec.typename) {
        throw fail(
          `${where}: function ${functionType} writes state ${m.stateName} as ${value.typename}, but it is registered as ${spec.typename}`,
        );
      }
      state.set(m.stateName, value);
    } else {
      throw fail(`${where}: unknown mutation type ${m.mutationType} of state ${m.stateName}`);
    }
  }
  return { kind: "effects", effects: { messages, delayed, egress, state } };
}

function egressRecord(e: InvocationResultFields["outgoingEgresses"][number], where: string): EgressRecord {
  const egress = `${e.egressNamespace}/${e.egressType}`;
  const value = argument(e.argument, where);
  if (egress !== PLAYGROUND_EGRESS) return { egress, topic: "", argument: value };
  if (value.typename !== EGRESS_RECORD) throw fail(`${where}: a record for ${egress} must be a ${EGRESS_RECORD}, got ${value.typename}`);
  let record: { topic?: unknown; payload?: unknown };
  try {
    record = JSON.parse(new TextDecoder().decode(value.value));
  } catch (cause) {
    throw fail(`${where}: an ${EGRESS_RECORD} is not JSON: ${(cause as Error).message}`, cause);
  }
  if (typeof record?.topic !== "string" || record.topic === "" || record.payload === undefined) {
    throw fail(`${where}: an ${EGRESS_RECORD} needs {"topic": string, "payload": ...}, got ${JSON.stringify(record).slice(0, 200)}`);
  }
  const payload = typeof record.payload === "string" ? record.payload : JSON.stringify(record.payload);
  return { egress, topic: record.topic, argument: { typename: "io.statefun.types/string", value: StringCodec.encode(payload) } };
}

function target(a: WireAddressFields | undefined, where: string): Address {
  const address = fromWireAddress(a);
  if (!address?.namespace || !address.type || address.type.includes("/")) {
    throw fail(`${where}: a message to an invalid address ${JSON.stringify(address ?? null)}`);
  }
  return address;
}

function argument(v: WireTypedValueFields | undefined, where: string): TypedValue {
  if (v === undefined || v.typename === "") throw fail(`${where}: a message or state value without a type name`);
  // The decoder's value is a copy already: no view keeps the whole response body alive.
  return { typename: v.typename, value: v.value };
}

function fail(message: string, cause?: unknown): StatefunError {
  return new StatefunError("STATEFUN_FUNCTION_FAILED", message, { cause, terminal: true });
}
