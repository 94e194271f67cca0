import { type Address, formatAddress, StatefunError, type TypedValue } from "@statefun-ts/protocol";
import type { Type } from "@statefun-ts/sdk";

/**
 * A message the harness saw: where it went, who sent it, and its bytes, which you read
 * back with the message's type.
 *
 * @example
 * const [reply] = harness.outbox;
 * expect(reply?.as(ItemAvailability)).toEqual({ status: "INSTOCK", quantity: 1 });
 */
export interface RecordedMessage {
  readonly target: Address;
  /** The sending function, the `caller` given to `send`, or `undefined`. */
  readonly caller: Address | undefined;
  readonly argument: TypedValue;
  readonly typename: string;
  /** True when the message is of `type`. */
  is(type: Type<any>): boolean;
  /** Decodes the message as `type`; throws a `StatefunError` (`STATEFUN_BAD_MESSAGE`) when it is of another type. */
  as<T>(type: Type<T>): T;
}

/**
 * One entry of the invocation log: the message a function instance was invoked with, the
 * fake time, and the error when the invocation failed (its effects were then discarded).
 *
 * @example
 * expect(harness.invocations.map((i) => formatAddress(i.target))).toEqual(["example/person/Bob", "example/greeter/Bob"]);
 */
export interface Invocation extends RecordedMessage {
  /** Fake time of the invocation (ms since the harness started). */
  readonly at: number;
  /** Why the invocation failed; absent when its effects were applied. */
  readonly error?: StatefunError;
}

/**
 * A delayed message waiting for the fake clock.
 *
 * @example
 * expect(harness.pending.map((m) => m.dueAt)).toEqual([5_000]);
 */
export interface DelayedMessage extends RecordedMessage {
  /** Fake time at which it fires (ms since the harness started). */
  readonly dueAt: number;
  readonly cancellationToken: string | undefined;
}

/**
 * A record a function emitted to an egress.
 *
 * @example
 * expect(harness.egressRecords[0]?.topic).toBe("greetings");
 */
export interface RecordedEgress {
  readonly egress: string;
  readonly topic: string;
  readonly argument: TypedValue;
  /** The function instance that emitted it. */
  readonly from: Address;
  /** Fake time at which it was emitted. */
  readonly at: number;
}

export function recordedMessage(target: Address, caller: Address | undefined, argument: TypedValue): RecordedMessage {
  return {
    target,
    caller,
    argument,
    typename: argument.typename,
    is: (type) => type.typename === argument.typename,
    as: (type) => decode(argument, type, `the message to ${formatAddress(target)}`),
  };
}

/** Decodes a typed value, checking its type name first. */
export function decode<T>(argument: TypedValue, type: Type<T>, what: string): T {
  if (argument.typename !== type.typename) {
    throw new StatefunError("STATEFUN_BAD_MESSAGE", `${what} is a ${argument.typename}, not a ${type.typename}`);
  }
  return type.deserialize(argument.value);
}
