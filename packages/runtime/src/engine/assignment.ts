/**
 * The key groups `member` should own among the live `members` (sorted, as `Store.heartbeat` lists
 * them): contiguous ranges, the first `keyGroups % n` members one larger, so every worker computes
 * the same even split (sizes differ by at most one) from the same view.
 */
export function assignment(members: readonly string[], keyGroups: number, member: string): Set<number> {
  const index = members.indexOf(member);
  const mine = new Set<number>();
  if (index < 0) return mine;
  const n = members.length;
  const base = Math.floor(keyGroups / n);
  const extra = keyGroups % n;
  const start = index * base + Math.min(index, extra);
  const size = base + (index < extra ? 1 : 0);
  for (let kg = start; kg < start + size; kg++) mine.add(kg);
  return mine;
}
