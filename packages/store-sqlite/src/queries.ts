import type { EgressRow, ExpiredRow, StoredMessage } from "@statefun-ts/runtime/spi";
import { toEgressRow, toExpiredRow, toMessage } from "@statefun-ts/runtime/spi";
import type { Statements } from "./statements.js";

/** The distinct valid key groups asked for, and whether they are all the store has. */
export function select(all: number, keyGroups: readonly number[]): { groups: number[]; everything: boolean } {
  const groups = [...new Set(keyGroups)].filter((kg) => Number.isInteger(kg) && kg >= 0 && kg < all);
  return { groups, everything: groups.length === all };
}

/**
 * Immediate messages in `seq` order. Owning every key group (the embedded case) is one scan of
 * the primary key; owning some (never the case for an embedded store) filters that scan.
 */
export function loadMessages(s: Statements, all: number, keyGroups: readonly number[], afterSeq: number, limit: number): StoredMessage[] {
  const { groups, everything } = select(all, keyGroups);
  if (limit <= 0 || groups.length === 0) return [];
  if (everything) return s.messagesAfter.all(afterSeq, limit).map((row) => toMessage(row));
  // An embedded store has one worker, which owns every key group; no index serves this rare case.
  const wanted = new Set(groups);
  const found: StoredMessage[] = [];
  for (let after = afterSeq; found.length < limit; ) {
    const page = s.messagesAfter.all(after, 1000);
    for (const row of page) {
      const m = toMessage(row);
      if (wanted.has(m.keyGroup) && found.length < limit) found.push(m);
    }
    if (page.length < 1000) break;
    after = page.at(-1)![0] as number;
  }
  return found;
}

/** Delayed messages ordered by `(dueAt, seq)`, strictly after `after`, due by `until`. */
export function loadTimers(
  s: Statements,
  all: number,
  keyGroups: readonly number[],
  after: { dueAt: number; seq: number } | undefined,
  until: number,
  limit: number,
): StoredMessage[] {
  const { groups, everything } = select(all, keyGroups);
  if (limit <= 0 || groups.length === 0) return [];
  const dueAt = after?.dueAt ?? Number.MIN_SAFE_INTEGER;
  const seq = after?.seq ?? Number.MIN_SAFE_INTEGER;
  if (everything) return s.timersAfter.all(dueAt, seq, until, limit).map((row) => toMessage(row));
  const owned = new Set(groups);
  const out: StoredMessage[] = [];
  for (const row of s.timersAfter.iterate(dueAt, seq, until, -1)) {
    if (!owned.has(row[1] as number)) continue;
    out.push(toMessage(row));
    if (out.length >= limit) break;
  }
  return out;
}

/** The oldest records of a topic, skipping `exclude`. */
export function peekEgress(s: Statements, topic: string, limit: number, exclude?: ReadonlySet<number>): EgressRow[] {
  if (limit <= 0) return [];
  if (exclude === undefined || exclude.size === 0) return s.egressOfTopic.all(topic, limit).map(toEgressRow);
  const out: EgressRow[] = [];
  for (const row of s.egressOfTopic.iterate(topic, -1)) {
    if (exclude.has(row[0] as number)) continue;
    out.push(toEgressRow(row));
    if (out.length >= limit) break;
  }
  return out;
}

/** State rows expired by `now`, oldest expiry first, read through the `state_expiry` index. */
export function expiredState(s: Statements, all: number, keyGroups: readonly number[], now: number, limit: number): ExpiredRow[] {
  const { groups, everything } = select(all, keyGroups);
  if (limit <= 0 || groups.length === 0) return [];
  const owned = everything ? undefined : new Set(groups);
  const out: ExpiredRow[] = [];
  for (const row of s.expiredState.iterate(now)) {
    if (owned !== undefined && !owned.has(row[4] as number)) continue;
    out.push(toExpiredRow(row));
    if (out.length >= limit) break;
  }
  return out;
}
