import type { Address } from "@statefun-ts/protocol";
import type { Clock } from "../clock.js";
import type { Logger, MetricsSink } from "../observe.js";
import { INSTANCE_ROW, type StateDrop, type Store } from "../store/types.js";
import { type CommitUnit, unit } from "./commit-unit.js";

/** How the background deletion of expired state paces itself. */
export interface SweepOptions {
  /** Time between sweeps once nothing is left to delete (default 1 s). */
  readonly intervalMs: number;
  /** Expired rows read and deleted per step at most (default 2,000). */
  readonly batch: number;
  /** Free pages given back to the file system per step at most (default 256). */
  readonly reclaimPages: number;
  /** Share of wall time the sweeper may take, between 0 and 1 (default 0.1): it rests between steps for the rest. */
  readonly share: number;
}

export const DEFAULT_SWEEP: SweepOptions = { intervalMs: 1000, batch: 2000, reclaimPages: 256, share: 0.1 };

export interface SweeperDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly metrics: MetricsSink;
  readonly logger: Logger;
  /** The key groups this worker owns. */
  readonly owned: () => readonly number[];
  /** Commits a unit through the commit pipeline (fenced, ordered with every other commit). */
  readonly commit: (u: CommitUnit) => void;
  /** True when the address may be dropped now (see `Dispatcher.release`). */
  readonly release: (address: Address) => boolean;
}

/**
 * Deletes expired state values and expired instances in the background, through the store's
 * expiry index: bounded steps (`batch` rows), each followed by a rest that keeps the sweeper
 * within `share` of the time, then a pause of `intervalMs` once nothing expired is left. Every
 * deletion re-checks the expiry inside its commit, so a value or an instance that came back
 * to life meanwhile stays. Everything it needs is in the store: after a restart it carries on.
 */
export class Sweeper {
  private timer: { cancel(): void } | undefined;
  private running: Promise<void> | undefined;
  /** Ends the rest between two steps of a round. */
  private rest: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly deps: SweeperDeps,
    private readonly pacing: SweepOptions,
  ) {}

  start(): void {
    this.schedule(this.pacing.intervalMs);
  }

  /** Stops after the step under way (whose commit is awaited). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.rest?.();
    await this.running;
  }

  /** Runs sweep steps until nothing expired is left; resolves with the rows deleted. For tests and tools. */
  async sweepNow(): Promise<number> {
    let total = 0;
    for (;;) {
      const { rows, deleted } = await this.step();
      total += deleted;
      if (rows < this.pacing.batch || deleted === 0) return total;
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.deps.clock.setTimeout(() => {
      this.running = this.round().finally(() => {
        this.running = undefined;
      });
    }, ms);
  }

  private async round(): Promise<void> {
    try {
      for (;;) {
        if (this.stopped) return;
        const { rows, deleted, spentMs } = await this.step();
        const reclaimed = await this.reclaim();
        const more = (rows >= this.pacing.batch && deleted > 0) || reclaimed.free > 0;
        if (!more) break;
        // Rest so that the sweeper's own work stays within `share` of the time.
        const spent = spentMs + reclaimed.spentMs;
        // `stop` ends the rest too (it cancels the timeout: waiting for it would be waiting forever).
        await new Promise<void>((resolve) => {
          this.rest = resolve;
          this.timer = this.deps.clock.setTimeout(resolve, Math.max(1, (spent * (1 - this.pacing.share)) / this.pacing.share));
        });
        this.rest = undefined;
      }
    } catch (error) {
      this.deps.logger.warn({ error: String(error) }, "sweeping expired state failed; trying again later");
    }
    this.schedule(this.pacing.intervalMs);
  }

  /**
   * One step: reads up to `batch` expired rows and deletes them in one commit of their own.
   * `spentMs` is the time of the read and of the store's commit (not the wait for earlier commits:
   * the store's own time for the commit when it reports it, `CommitResult.storeMs`). A store that
   * queues commits (the embedded store's thread) runs the read behind the commits queued before
   * it, so the read's time there is nearly all that wait: only its commit counts. Counting the
   * wait made the sweeper rest nine times the foreground's commits per step.
   */
  private async step(): Promise<{ rows: number; deleted: number; spentMs: number }> {
    const now = this.deps.clock.now();
    const readStarted = performance.now();
    const rows = await this.deps.store.expiredState(this.deps.owned(), now, this.pacing.batch);
    const readMs = this.deps.store.queuesCommits === true ? 0 : performance.now() - readStarted;
    const drops: StateDrop[] = [];
    const touched = new Set<number>();
    let instances = 0;
    for (const r of rows) {
      if (r.name === INSTANCE_ROW) {
        // An instance in use is not dropped: its next commit moves its expiry or starts it over.
        if (!this.deps.release(r.address)) continue;
        drops.push({ address: r.address, keyGroup: r.keyGroup, expiredBy: now });
        instances++;
      } else {
        // Every write of a value carries the whole value: deleting an expired one is safe even
        // while its address runs (a later write puts it back).
        drops.push({ address: r.address, keyGroup: r.keyGroup, name: r.name, expiredBy: now });
      }
      touched.add(r.keyGroup);
    }
    if (drops.length === 0) return { rows: rows.length, deleted: 0, spentMs: readMs };
    const commitMs = await new Promise<number>((resolve, reject) => {
      this.deps.commit(
        unit({ touchedKeyGroups: [...touched], drops, alone: true, committed: (_stored, _dup, ms) => resolve(ms), failed: reject }),
      );
    });
    if (instances > 0) this.deps.metrics.count("instances_expired", instances);
    if (drops.length > instances) this.deps.metrics.count("state_expired", drops.length - instances);
    return { rows: rows.length, deleted: drops.length, spentMs: readMs + commitMs };
  }

  /** Gives free pages back to the file system; returns the pages still free and the time it took. */
  private async reclaim(): Promise<{ free: number; spentMs: number }> {
    const started = performance.now();
    const free = (await this.deps.store.reclaim?.(this.pacing.reclaimPages)) ?? 0;
    return { free, spentMs: performance.now() - started };
  }
}
