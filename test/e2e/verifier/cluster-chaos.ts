import type { Killable } from "./chaos.js";
import type { Chaos } from "./driver.js";
import { sleep } from "./http.js";
import type { Random } from "./random.js";

/** A worker that can also be frozen (SIGSTOP) and resumed (SIGCONT). */
export interface Freezable extends Killable {
  freeze(): void;
  resume(): void;
}

export interface ClusterChaosOptions {
  /** How long the frozen worker stays stopped: longer than its lease plus a heartbeat, so its key groups are taken over. */
  readonly freezeMs: number;
  /** Disturbances happen once this share of the trees is acknowledged, at random shares in this range (at most 0.9). */
  readonly between?: readonly [number, number];
  /** Each disturbance waits at least this long after the previous one, plus up to as long again at random. */
  readonly minGapMs?: number;
}

/**
 * The cluster's disturbances while the trees flow: two different workers killed with SIGKILL
 * and restarted, and the third frozen with SIGSTOP past its lease then resumed (its late
 * commits must be refused), in a random order at random shares of the traffic. Records
 * `SIGKILL worker i`, `worker i restarted…`, `SIGSTOP worker i` and `SIGCONT worker i…`.
 */
export function clusterSchedule(random: Random, workers: readonly Freezable[], options: ClusterChaosOptions): Chaos {
  if (workers.length < 3) throw new RangeError(`the cluster schedule needs 3 workers, got ${workers.length}`);
  const [from, to] = options.between ?? [0.1, 0.8];
  const [low, high] = [Math.min(from, 0.9), Math.min(to, 0.9)];
  const minGap = options.minGapMs ?? 500;
  // Which worker gets which disturbance, then the order they happen in.
  const order = shuffle(random, [0, 1, 2]);
  const actions = shuffle(random, [
    { kind: "kill" as const, index: order[0]! },
    { kind: "kill" as const, index: order[1]! },
    { kind: "freeze" as const, index: order[2]! },
  ]);
  const shares = actions.map(() => low + random.next() * (high - low)).sort((a, b) => a - b);
  return async (traffic) => {
    for (const [i, action] of actions.entries()) {
      await sleep(minGap + random.next() * minGap);
      while (!traffic.finished && traffic.acknowledged < shares[i]! * traffic.total) await sleep(10);
      if (traffic.stopped) return;
      const worker = workers[action.index]!;
      const after = traffic.finished ? " (after the traffic)" : "";
      const at = Date.now();
      if (action.kind === "kill") {
        await worker.kill();
        traffic.record(`SIGKILL worker ${action.index}${after}`);
        await worker.start();
        traffic.record(`worker ${action.index} restarted and ready after ${Date.now() - at} ms`);
      } else {
        worker.freeze();
        traffic.record(`SIGSTOP worker ${action.index}${after}`);
        await sleep(options.freezeMs);
        worker.resume();
        traffic.record(`SIGCONT worker ${action.index} after ${Date.now() - at} ms`);
      }
    }
  };
}

function shuffle<T>(random: Random, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
