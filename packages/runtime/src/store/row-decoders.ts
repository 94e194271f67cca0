import type { Address, TypedValue } from "@statefun-ts/protocol";
import type { DeadLetter, EgressRow, ExpiredRow, ReplyRow, StateEntry, StoredMessage } from "./records.js";

/**
 * Decoders of SQL result rows into the store's records, shared by the SQL stores. A row is a
 * result row in array form (better-sqlite3's raw mode, node-postgres' array mode): column values
 * in select order, integers as numbers, blobs as `Uint8Array`/`Buffer`, NULL as `null`.
 */
export type Row = readonly unknown[];

/** The columns of a message, in the order `toMessage` reads them (and the stores write them). */
export const MESSAGE_COLUMNS =
  "seq, key_group, target_namespace, target_type, target_id, caller_namespace, caller_type, caller_id, typename, value, due_at, cancellation_token";

/** A plain `Uint8Array` view of a driver's `Buffer` (same bytes, no copy). */
export function bytes(value: unknown): Uint8Array {
  const buffer = value as Uint8Array;
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function typed(typename: unknown, value: unknown): TypedValue {
  return { typename: typename as string, value: bytes(value) };
}

/** Reads a message from the 12 `MESSAGE_COLUMNS` starting at `at`; absent optional fields stay absent. */
export function toMessage(row: Row, at = 0): StoredMessage {
  const target: Address = { namespace: row[at + 2] as string, type: row[at + 3] as string, id: row[at + 4] as string };
  const message: {
    -readonly [K in keyof StoredMessage]: StoredMessage[K];
  } = { seq: row[at] as number, keyGroup: row[at + 1] as number, target, argument: typed(row[at + 8], row[at + 9]) };
  if (row[at + 5] !== null) {
    message.caller = { namespace: row[at + 5] as string, type: row[at + 6] as string, id: row[at + 7] as string };
  }
  if (row[at + 10] !== null) message.dueAt = row[at + 10] as number;
  if (row[at + 11] !== null) message.cancellationToken = row[at + 11] as string;
  return message;
}

/** Columns `name, typename, value, expires_at`. */
export function toStateEntry(row: Row): StateEntry {
  const entry: { -readonly [K in keyof StateEntry]: StateEntry[K] } = { name: row[0] as string, value: typed(row[1], row[2]) };
  if (row[3] !== null) entry.expiresAt = row[3] as number;
  return entry;
}

/** Columns `namespace, type, id, name, key_group, expires_at`. */
export function toExpiredRow(row: Row): ExpiredRow {
  const address: Address = { namespace: row[0] as string, type: row[1] as string, id: row[2] as string };
  return { address, keyGroup: row[4] as number, name: row[3] as string, expiresAt: row[5] as number };
}

/** Columns `id, egress, topic, typename, value, created_at`. */
export function toEgressRow(row: Row): EgressRow {
  return {
    id: row[0] as number,
    egress: row[1] as string,
    topic: row[2] as string,
    argument: typed(row[3], row[4]),
    createdAt: row[5] as number,
  };
}

/** Columns `request_id, typename, value`. */
export function toReply(row: Row): ReplyRow {
  return { requestId: row[0] as string, argument: typed(row[1], row[2]) };
}

/** Dead letter columns: `id`, the 12 message columns, then `error, attempts, failed_at`. */
export function toDeadLetter(row: Row): DeadLetter {
  return {
    id: row[0] as number,
    message: toMessage(row, 1),
    error: row[13] as string,
    attempts: row[14] as number,
    failedAt: row[15] as number,
  };
}
