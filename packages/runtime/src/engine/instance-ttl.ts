import type { StateView } from "../api.js";
import { INSTANCE_ROW, INSTANCE_ROW_TYPE, type StateEntry, type StateWrite } from "../store/types.js";
import type { Mailbox } from "./mailbox.js";

const EMPTY_BYTES = new Uint8Array(0);

/**
 * Instance time-to-live. An instance of a function type with a TTL keeps its expiry in a
 * reserved state row (`INSTANCE_ROW`), moved forward by its invocations. Once it has passed,
 * the instance counts as never having existed: reads see no state, the next invocation starts
 * empty (and its commit deletes the old rows first), and the sweeper drops it in the background.
 */

/** True when the entries hold an instance row that expired by `now`. */
export function instanceExpired(entries: ReadonlyMap<string, StateEntry> | readonly StateEntry[], now: number): boolean {
  const row = entries instanceof Map ? entries.get(INSTANCE_ROW) : (entries as readonly StateEntry[]).find((e) => e.name === INSTANCE_ROW);
  return row?.expiresAt !== undefined && row.expiresAt <= now;
}

/** What a reader may see of an instance: nothing if it expired, else its unexpired values (never the instance row). */
export function visibleState(entries: readonly StateEntry[], now: number): StateEntry[] {
  if (instanceExpired(entries, now)) return [];
  return entries.filter((e) => e.name !== INSTANCE_ROW && (e.expiresAt === undefined || e.expiresAt > now));
}

/** `visibleState` as the runtime's API shows it. */
export function stateViews(entries: readonly StateEntry[], now: number): StateView[] {
  return visibleState(entries, now).map((e) => ({
    name: e.name,
    typename: e.value.typename,
    value: e.value.value,
    expiresAt: e.expiresAt,
  }));
}

/**
 * Before an invocation: an expired instance starts over empty, and its next commit deletes the
 * old rows before writing (`mb.cleared`). Returns true when it expired just now.
 */
export function startOver(mb: Mailbox, now: number): boolean {
  const row = mb.instanceRow;
  if (row?.expiresAt === undefined || row.expiresAt > now) return false;
  mb.loaded([]);
  mb.cleared = true;
  return true;
}

/**
 * After a successful invocation: the write of the instance row, if any. The stored expiry moves
 * to `now + ttl + ttl/100` only when it would otherwise fall before `now + ttl`, so an instance
 * invoked often costs one extra row write per 1% of its TTL, and is dropped between TTL and
 * TTL + 1% after its last invocation. Without a TTL, a leftover row is deleted.
 */
export function instanceRowWrite(mb: Mailbox, ttlMs: number | undefined, now: number): StateWrite | undefined {
  const current = mb.instanceRow?.expiresAt;
  if (ttlMs === undefined) {
    return current === undefined ? undefined : { address: mb.address, keyGroup: mb.keyGroup, name: INSTANCE_ROW, value: null };
  }
  if (current !== undefined && current >= now + ttlMs) return undefined;
  const expiresAt = now + ttlMs + Math.ceil(ttlMs / 100);
  return {
    address: mb.address,
    keyGroup: mb.keyGroup,
    name: INSTANCE_ROW,
    value: { typename: INSTANCE_ROW_TYPE, value: EMPTY_BYTES },
    expiresAt,
  };
}
