import { type ErrorCode, StatefunError } from "@statefun-ts/protocol";

/** The call that commits an `EncodedBatch` (`SqliteStore.commit` of the decoded batch). */
export const COMMIT_ENCODED = "commitEncoded";

/**
 * The call that reads the state of several addresses (`SqliteStore.loadState` of each, in order):
 * the state loads asked for in one turn of the engine cross to the thread, and back, together.
 */
export const LOAD_STATES = "loadStates";

/** A call posted to the store's worker thread. */
export interface Call {
  readonly id: number;
  readonly method: string;
  readonly args: readonly unknown[];
  /** A commit only: the commit posted just before it, unanswered then; if that one failed, this one is refused unapplied. */
  readonly after?: number | undefined;
}

/** The worker thread's answer to call `id`: its value, or the error it threw. */
export type Reply =
  | { readonly id: number; readonly value: unknown; readonly error?: undefined }
  | { readonly id: number; readonly error: ThrownError };

/** An error as it crosses threads (structured clone keeps neither its class nor its code). */
export interface ThrownError {
  readonly name: string;
  readonly message: string;
  readonly code: string | undefined;
  readonly terminal: boolean | undefined;
}

/** The error again on this side: a `StatefunError` with its code, else an `Error` carrying name and code. */
export function rethrown(e: ThrownError): Error {
  if (e.name === "StatefunError" && e.code !== undefined) {
    return new StatefunError(e.code as ErrorCode, e.message, e.terminal === undefined ? {} : { terminal: e.terminal });
  }
  const error = new Error(e.message);
  error.name = e.name;
  if (e.code !== undefined) Object.assign(error, { code: e.code });
  return error;
}
