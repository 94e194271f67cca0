/**
 * The seq ranges handed out (`allocateSeqs`) and not yet committed, which hold readers of
 * `loadMessagesSince` back: a range may still commit below messages already committed.
 *
 * A range serves one batch, or several in turn (a pipelined committer's reserve, used from its
 * first seq up). A batch settles what it used: the rest of its range stays outstanding, marked
 * started. A started range that a later range's batch passes was left behind by its writer (a
 * reserve refilled before its end): nothing more commits in it, so it holds no one back.
 */
export class SeqRanges {
  private ranges: { first: number; end: number; started: boolean }[] = [];

  /** The lowest seq that may still commit (Infinity: none outstanding). */
  get lowest(): number {
    let low = Number.POSITIVE_INFINITY;
    for (const r of this.ranges) if (r.first < low) low = r.first;
    return low;
  }

  added(first: number, count: number): void {
    if (count > 0) this.ranges.push({ first, end: first + count, started: false });
  }

  clear(): void {
    this.ranges = [];
  }

  /** A batch whose seqs lie in `[low, high]` committed (or never will). */
  settled(low: number, high: number): void {
    if (high < low || this.ranges.length === 0) return;
    const own = this.ranges.find((r) => r.first <= low && low < r.end);
    const left: { first: number; end: number; started: boolean }[] = [];
    for (const r of this.ranges) {
      if (r === own) {
        if (high + 1 < r.end) left.push({ first: high + 1, end: r.end, started: true });
      } else if (r.end <= low || r.first > high) {
        // Another writer's range, or one not used yet; a started one this batch's range passed was left behind.
        if (!(r.started && own !== undefined && r.first < own.first)) left.push(r);
      }
    }
    this.ranges = left;
  }
}
