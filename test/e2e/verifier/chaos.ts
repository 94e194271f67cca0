import type { Chaos, Traffic } from "./driver.js";
import { sleep } from "./http.js";
import type { Random } from "./random.js";

/** What a crash schedule kills and restarts. */
export interface Killable {
  kill(): Promise<void>;
  start(): Promise<void>;
}

export interface CrashScheduleOptions {
  /** SIGKILLs in all (at least 3 in the e2e suite). */
  readonly kills: number;
  /** Kills happen once this share of the trees is acknowledged, at random shares in this range (at most 0.9). */
  readonly between?: readonly [number, number];
  /** Each kill waits at least this long after the previous restart, plus up to as long again at random. */
  readonly minUptimeMs?: number;
  /**
   * Chance that a kill is followed by a second one while the worker restarts (before it is
   * ready, during recovery), default 0.
   */
  readonly killWhileStarting?: number;
  /** Which worker to kill each time (default: a random one). */
  readonly pick?: (random: Random, workers: readonly Killable[]) => Killable;
}

/** The schedule of the e2e suite: 3 SIGKILLs while the trees flow, some followed by a kill during recovery. */
export const E2E_CRASHES: CrashScheduleOptions = { kills: 3, killWhileStarting: 0.3 };

/**
 * Kills workers with SIGKILL at random moments while the trees flow, and restarts each at
 * once on the same data: the moment is a random share of the traffic (so it is never
 * after the traffic) plus a random uptime.
 */
export function crashSchedule(random: Random, workers: readonly Killable[], options: CrashScheduleOptions): Chaos {
  const [from, to] = options.between ?? [0.1, 0.85];
  const [low, high] = [Math.min(from, 0.9), Math.min(to, 0.9)];
  const minUptime = options.minUptimeMs ?? 300;
  const shares = Array.from({ length: options.kills }, () => low + random.next() * (high - low)).sort((a, b) => a - b);
  return async (traffic: Traffic) => {
    for (const share of shares) {
      await sleep(minUptime + random.next() * minUptime);
      while (!traffic.finished && traffic.acknowledged < share * traffic.total) await sleep(10);
      if (traffic.stopped) return;
      const worker = options.pick?.(random, workers) ?? random.pick(workers);
      const index = workers.indexOf(worker);
      const killedAt = Date.now();
      await worker.kill();
      traffic.record(`SIGKILL worker ${index}${traffic.finished ? " (after the traffic)" : ""}`);
      if (random.next() < (options.killWhileStarting ?? 0)) {
        const starting = worker.start().catch(() => {});
        const after = Math.round(random.next() * 800);
        await sleep(after);
        await worker.kill();
        await starting;
        traffic.record(`SIGKILL worker ${index} again ${after} ms into its restart`);
      }
      await worker.start();
      traffic.record(`worker ${index} restarted and ready after ${Date.now() - killedAt} ms`);
    }
  };
}
