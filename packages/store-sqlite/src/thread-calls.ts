import { type ErrorCode, StatefunError } from "@statefun-ts/protocol";
import type { MessagePage, StoredMessage } from "@statefun-ts/runtime/spi";
import { decodeMessages, type EncodedMessages, encodeMessages, transferOf } from "./message-codec.js";

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

/**
 * The worker thread's answer to call `id`: its value, or the error it threw. A read of messages
 * (`loadMessages`, `loadMessagesSince`) answers with them in `messages` (see `EncodedMessages`):
 * its value is then undefined (a list) or its page without them.
 */
export type Reply =
  | { readonly id: number; readonly value: unknown; readonly messages?: EncodedMessages | undefined; readonly error?: undefined }
  | { readonly id: number; readonly error: ThrownError };

/** The reads whose messages come back flat. */
export const MESSAGE_READS: ReadonlySet<string> = new Set(["loadMessages", "loadMessagesSince"]);

/** The reply to a read in `MESSAGE_READS`, with what it transfers (its messages as they are when they cannot be encoded). */
export function messagesReply(id: number, value: StoredMessage[] | MessagePage): { reply: Reply; transfer: ArrayBuffer[] } {
  const list = Array.isArray(value) ? value : value.messages;
  const messages = encodeMessages([list]);
  if (messages === undefined) return { reply: { id, value }, transfer: [] };
  return { reply: { id, value: Array.isArray(value) ? undefined : { ...value, messages: [] }, messages }, transfer: transferOf(messages) };
}

/** The value of a reply, its messages decoded into it. */
export function answered(reply: Reply & { error?: undefined }): unknown {
  if (reply.messages === undefined) return reply.value;
  const list = decodeMessages(reply.messages)[0]!;
  return reply.value === undefined ? list : { ...(reply.value as MessagePage), messages: list };
}

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
