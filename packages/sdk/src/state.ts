import { type Duration, type Expiration, toMillis } from "@statefun-ts/protocol";
import type { Type } from "./types.js";

export type { Expiration } from "@statefun-ts/protocol";

/** A declared state value: its name (unique within a function type), its type and its expiry. */
export interface ValueSpec<T> {
  readonly kind?: "value";
  readonly name: string;
  readonly type: Type<T>;
  readonly expiration: Expiration;
}

/** Options of a state. Give at most one of the two expiries (for map and list states, each entry expires on its own). */
export type ValueSpecOptions =
  | { expireAfterWrite?: Duration; expireAfterCall?: undefined }
  | { expireAfterCall?: Duration; expireAfterWrite?: undefined };

/**
 * Declares a state value of a function.
 *
 * @example
 * const visits = valueSpec("visits", Types.int, { expireAfterWrite: "1d" });
 */
export function valueSpec<T>(name: string, type: Type<T>, options: ValueSpecOptions = {}): ValueSpec<T> {
  return { kind: "value", name, type, expiration: expirationOf(name, options) };
}

/** Checks a state name and turns its options into an expiration. */
export function expirationOf(name: string, options: ValueSpecOptions): Expiration {
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) {
    throw new TypeError(`invalid state name ${JSON.stringify(name)}: use letters, digits, "_", "-" and "."`);
  }
  if (options.expireAfterWrite !== undefined && options.expireAfterCall !== undefined) {
    throw new TypeError(`state ${name}: give expireAfterWrite or expireAfterCall, not both`);
  }
  if (options.expireAfterWrite !== undefined) {
    return { mode: "after-write", millis: toMillis(options.expireAfterWrite, `state ${name}: expireAfterWrite`) };
  }
  if (options.expireAfterCall !== undefined) {
    return { mode: "after-call", millis: toMillis(options.expireAfterCall, `state ${name}: expireAfterCall`) };
  }
  return { mode: "none" };
}

/** Read and write access to one state value inside an invocation. */
export interface ValueState<T> {
  /** The current value, or `undefined` when it has none. */
  get(): T | undefined;
  set(value: T): void;
  clear(): void;
}
