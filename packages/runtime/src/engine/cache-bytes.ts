import type { Address } from "@statefun-ts/protocol";
import type { StateEntry } from "../store/types.js";

/**
 * Estimated bytes of the address cache (the dispatcher's mailboxes and their cached state), kept
 * up to date as addresses come and go and state is loaded and written, so the cache can be bounded
 * in bytes (`Limits.maxCacheBytes`). The constants were measured on Node 20 (x64): the heap after a
 * full GC of a chain over 200,000 instances with one small state value each, with budgets of 16 and
 * 256 MiB, is about 1,000 bytes more per cached address (see bench/RESULTS.md). They count the V8
 * objects behind each one (mailbox, queue, maps, entry, typed array), not just the payload.
 * Addresses with work in memory (queued messages, commits pending) are never forgotten: the cache
 * may pass its budget by what `maxBufferedMessages` and `maxPendingCommits` let in.
 */
export class CacheBytes {
  total = 0;
}

/** One cached address without state: the `Mailbox`, its empty queue, its address and three map slots. */
export const ADDRESS_BYTES = 640;
/** One state entry without its name and value bytes: the entry, its `TypedValue`, the `Uint8Array` and a map slot. */
export const ENTRY_BYTES = 260;

/** A string's heap size: header and one byte per character (two for characters past Latin-1, which ids rarely hold). */
export function stringBytes(s: string): number {
  return 16 + s.length;
}

/** An address's fixed cost and its id (namespace and type strings are shared by every address of a type). */
export function addressBytes(address: Address): number {
  return ADDRESS_BYTES + stringBytes(address.id);
}

/** One state entry: its name, its typename and its value bytes, and the objects around them. */
export function entryBytes(name: string, entry: StateEntry): number {
  return ENTRY_BYTES + stringBytes(name) + stringBytes(entry.value.typename) + entry.value.value.byteLength;
}
