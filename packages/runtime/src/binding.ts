import type { Address, Effects, Expiration, RetryPolicy, TypedValue } from "@statefun-ts/protocol";
import type { StoredMessage } from "./store/types.js";

/** A state a function type keeps: its name, type and expiry (declared in code, or registered by a remote function). */
export interface StateSpecInfo {
  readonly name: string;
  readonly typename: string;
  readonly expiration: Expiration;
}

/** One invocation: one or more messages of one address, in arrival order, and the address's current state. */
export interface InvokeRequest {
  readonly address: Address;
  readonly functionType: string;
  readonly messages: readonly StoredMessage[];
  /** The current (unexpired) value of a state, this address's uncommitted writes included. */
  value(name: string): TypedValue | undefined;
  /**
   * The current (unexpired) values whose stored names start with `prefix`, uncommitted writes
   * included: the entries of a map or list state (stored as `name[key]`, see `@statefun-ts/sdk`).
   */
  entries(prefix: string): [string, TypedValue][];
  readonly now: number;
  /**
   * Stops counting this invocation against its invoker's `maxInFlight` until it ends (a remote
   * call backing off between attempts holds no connection): an address waiting for a slot may
   * start. Optional for callers that build requests themselves.
   */
  releaseSlot?(): void;
}

/**
 * How a function type runs: embedded TypeScript, or a remote endpoint. Effects come back
 * merged for the whole batch, to be applied exactly once with the consumption of its messages.
 */
export interface Invoker {
  /** Most messages of one address in one invocation (1 for embedded functions). */
  readonly maxBatch: number;
  /**
   * Most invocations of this invoker running at once (none: only the runtime's
   * `maxInFlightInvocations`). Addresses past it wait with their messages in their mailboxes,
   * so that each forms its batch when a slot frees: a remote binding sets its connections per
   * origin, and batches grow instead of requests queueing for a connection.
   */
  readonly maxInFlight?: number | undefined;
  invoke(request: InvokeRequest): Effects | Promise<Effects>;
}

/** A loaded function type (or a whole namespace, `ns/*`) with what the engine needs to run it. */
export interface Binding {
  /** `namespace/name`, or `namespace/*` for every type of a namespace. */
  readonly typename: string;
  /** The message types it accepts, when known (embedded functions); a message of another type is rejected. */
  readonly accepts?: ReadonlySet<string> | undefined;
  /** The states of a function type (for a namespace binding, of each of its types). */
  specs(functionType: string): readonly StateSpecInfo[];
  readonly retry: RetryPolicy;
  /** Instance time-to-live (ms): an instance not invoked for this long is dropped whole, as if it never existed. */
  readonly instanceTtlMs?: number | undefined;
  readonly invoker: Invoker;
}
