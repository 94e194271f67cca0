import { type Duration, toMillis } from "@statefun-ts/protocol";
import type { Type } from "./types.js";

/** When a state value expires: never, after its last write, or after the instance's last invocation. */
export type Expiration =
  | { readonly mode: "none" }
  | { readonly mode: "after-write"; readonly millis: number }
  | { readonly mode: "after-call"; readonly millis: number };

/** A declared state: its name (unique within a function type), its type and its expiry. */
export interface ValueSpec<T> {
  readonly name: string;
  readonly type: Type<T>;
  readonly expiration: Expiration;
}

/** Options of a state value. Give at most one of the two expiries. */
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
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) {
    throw new TypeError(`invalid state name ${JSON.stringify(name)}: use letters, digits, "_", "-" and "."`);
  }
  let expiration: Expiration = { mode: "none" };
  if (options.expireAfterWrite !== undefined) {
    expiration = { mode: "after-write", millis: toMillis(options.expireAfterWrite, `state ${name}: expireAfterWrite`) };
  } else if (options.expireAfterCall !== undefined) {
    expiration = { mode: "after-call", millis: toMillis(options.expireAfterCall, `state ${name}: expireAfterCall`) };
  }
  return { name, type, expiration };
}

/** Read and write access to one state value inside an invocation. */
export interface ValueState<T> {
  /** The current value, or `undefined` when it has none. */
  get(): T | undefined;
  set(value: T): void;
  clear(): void;
}
