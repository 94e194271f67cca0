import type { ReplyRow, StateWrite } from "@statefun-ts/runtime/spi";
import { byteaArray, int4Array, int8Array, textArray } from "./arrays.js";

/**
 * The net effect of a batch's state writes, as the array parameters of `SQL.deleteStates`
 * (namespace, type, id, name) and `SQL.upsertStates` (the same, then key group, typename, value,
 * expiry): the last write of each value wins, as if they were applied in order. One statement
 * may not upsert a row twice, hence the collapse.
 */
export function collapseState(writes: readonly StateWrite[]): { deletes: Buffer[]; upserts: Buffer[] } {
  const last = new Map<string, StateWrite>();
  for (const w of writes) {
    const { namespace, type, id } = w.address;
    const key = `${namespace}\u0000${type}\u0000${id}\u0000${w.name}`;
    last.delete(key);
    last.set(key, w);
  }
  const deleted: StateWrite[] = [];
  const written: StateWrite[] = [];
  for (const w of last.values()) (w.value === null ? deleted : written).push(w);
  const address = (list: StateWrite[]) => [
    textArray(list.map((w) => w.address.namespace)),
    textArray(list.map((w) => w.address.type)),
    textArray(list.map((w) => w.address.id)),
    textArray(list.map((w) => w.name)),
  ];
  return {
    deletes: deleted.length === 0 ? [] : address(deleted),
    upserts:
      written.length === 0
        ? []
        : [
            ...address(written),
            int4Array(written.map((w) => w.keyGroup)),
            textArray(written.map((w) => w.value!.typename)),
            byteaArray(written.map((w) => w.value!.value)),
            int8Array(written.map((w) => w.expiresAt)),
          ],
  };
}

/** One reply per request id, the last one given. */
export function lastReplies(replies: readonly ReplyRow[]): ReplyRow[] {
  const last = new Map<string, ReplyRow>();
  for (const r of replies) last.set(r.requestId, r);
  return [...last.values()];
}
