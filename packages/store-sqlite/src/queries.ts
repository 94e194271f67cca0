import type { EgressRow, StoredMessage } from "@statefun-ts/runtime";
import { type Row, toEgressRow, toMessage } from "./rows.js";
import type { Statements } from "./statements.js";

/** The distinct valid key groups asked for, and whether they are all the store has. */
function select(all: number, keyGroups: readonly number[]): { groups: number[]; everything: boolean } {
  const groups = [...new Set(keyGroups)].filter((kg) => Number.isInteger(kg) && kg >= 0 && kg < all);
  return { groups, everything: groups.length === all };
}

/**
 * Immediate messages in `seq` order. Owning every key group (the embedded case) is one scan of
 * the primary key; owning some is one index range per key group, merged.
 */
export function loadMessages(s: Statements, all: number, keyGroups: readonly number[], afterSeq: number, limit: number): StoredMessage[] {
  const { groups, everything } = select(all, keyGroups);
  if (limit <= 0 || groups.length === 0) return [];
  if (everything) return s.messagesAfter.all(afterSeq, limit).map((row) => toMessage(row));
  const rows: Row[] = [];
  for (const kg of groups) for (const row of s.messagesOfGroupAfter.all(kg, afterSeq, limit)) rows.push(row);
  rows.sort((a, b) => (a[0] as number) - (b[0] as number));
  return rows.slice(0, limit).map((row) => toMessage(row));
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
