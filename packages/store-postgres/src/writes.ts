import type { ReplyRow, StateWrite } from "@statefun-ts/runtime/spi";
import { byteaArray, int4Array, int8Array, textArray } from "./arrays.js";

/**
 * The net effect of a batch's state writes, as the array parameters of `SQL.deleteStates`
 * (namespace, type, id, name) and `SQL.upsertStates` (the same, then key group, typename, value,
 * expiry): the last write of each value wins, as if they were applied in order. One statement
 * may not upsert a row twice, hence the collapse.
 */
export function collapseState(writes: readonly StateWrite[]): { deletes: Buffer[]; upserts: Buffer[] } {
  const deleted: StateWrite[] = [];
  const written: StateWrite[] = [];
  for (const w of lastWrites(writes)) (w.value === null ? deleted : written).push(w);
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

/**
 * The last write of each value, in the order of those last writes. Keyed by instance id first (a
 * string the batch already holds, its hash computed once), which is enough while no two values of
 * a batch share an id; only then by the whole key, a string made per write.
 */
function lastWrites(writes: readonly StateWrite[]): Iterable<StateWrite> {
  const lastOfId = new Map<string, StateWrite>();
  let overwritten: Set<StateWrite> | undefined;
  for (const w of writes) {
    const before = lastOfId.get(w.address.id);
    if (before !== undefined) {
      const same = before.name === w.name && before.address.namespace === w.address.namespace && before.address.type === w.address.type;
      if (!same) return lastWritesByKey(writes);
      overwritten ??= new Set();
      overwritten.add(before);
    }
    lastOfId.set(w.address.id, w);
  }
  return overwritten === undefined ? writes : writes.filter((w) => !overwritten.has(w));
}

function lastWritesByKey(writes: readonly StateWrite[]): Iterable<StateWrite> {
  const last = new Map<string, StateWrite>();
  for (const w of writes) {
    const { namespace, type, id } = w.address;
    const key = `${namespace}\u0000${type}\u0000${id}\u0000${w.name}`;
    last.delete(key);
    last.set(key, w);
  }
  return last.values();
}

/** One reply per request id, the last one given. */
export function lastReplies(replies: readonly ReplyRow[]): ReplyRow[] {
  const last = new Map<string, ReplyRow>();
  for (const r of replies) last.set(r.requestId, r);
  return [...last.values()];
}
