import type { Mailbox } from "./mailbox.js";

/**
 * Picks idle mailboxes to forget, least recently used first, enough to free `count` addresses and
 * `bytes` of the cache (all idle ones when that takes them all). One pass over the cache and a
 * sort of the idle ones' ages (a native sort of numbers): the oldest are chosen by the age below
 * which enough of them fall, with their mean size standing for each one's.
 */
export function leastRecentlyUsed(mailboxes: Iterable<Mailbox>, count: number, bytes: number): Mailbox[] {
  if (count <= 0 && bytes <= 0) return [];
  const idle: Mailbox[] = [];
  let idleBytes = 0;
  for (const mb of mailboxes) {
    if (!mb.idle) continue;
    idle.push(mb);
    idleBytes += mb.cachedBytes;
  }
  if (idle.length === 0 || (count >= idle.length && bytes >= idleBytes)) return idle;
  const ages = new Float64Array(idle.length);
  for (let i = 0; i < idle.length; i++) ages[i] = idle[i]!.usedAt;
  ages.sort();
  const mean = idleBytes / idle.length;
  const take = Math.min(idle.length, Math.max(count, Math.ceil(bytes / mean)));
  const before = ages[take - 1]!;
  return idle.filter((mb) => mb.usedAt <= before);
}
