import { setTimeout as sleep } from "node:timers/promises";
import type { WorkerProcess } from "../e2e/verifier/process.js";
import { consumeAll, produce } from "./kafka.js";

export interface CrashRunResult {
  readonly kills: number;
  /** Keys whose output is not exactly `key:1 … key:n`, with what was seen. */
  readonly wrong: readonly string[];
  /** Outputs seen twice or more (egress resent) plus outputs past a key's input count (a record ingested twice). */
  readonly duplicates: number;
  /** Outputs past a key's input count: a record turned into messages twice. */
  readonly overCount: number;
  readonly missing: number;
  readonly seen: number;
}

/**
 * Produces `records` records over `keys` keys to `input` in chunks while the worker runs, kills
 * it with SIGKILL `kills` times along the way (restarting it at once), then reads `output` and
 * checks that every key's outputs are exactly `key:1 … key:n` (n = its records), each once.
 * A count too high or an output seen twice is a duplicate; one missing is a loss.
 */
export async function crashRun(
  worker: WorkerProcess,
  o: { input: string; output: string; records: number; keys: number; kills: number; readCommitted?: boolean },
): Promise<CrashRunResult> {
  const chunks = 20;
  const perChunk = Math.ceil(o.records / chunks);
  const killAt = new Set(Array.from({ length: o.kills }, (_, i) => Math.floor(((i + 1) * chunks) / (o.kills + 1))));
  const expected = new Map<string, number>();
  let produced = 0;
  let kills = 0;
  for (let chunk = 0; chunk < chunks; chunk++) {
    const records = [];
    for (let i = 0; i < perChunk && produced < o.records; i++, produced++) {
      const key = `k${produced % o.keys}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
      records.push({ key, value: o.output });
    }
    await produce(o.input, records);
    if (killAt.has(chunk)) {
      // Let the worker get into the middle of the chunk, then kill it.
      await sleep(150);
      await worker.kill();
      kills++;
      await worker.start();
    } else {
      await sleep(50);
    }
  }
  const seen = await consumeAll(o.output, {
    until: (r) => new Set(r).size >= o.records,
    timeoutMs: 60_000,
    readCommitted: o.readCommitted,
  });
  const byKey = new Map<string, string[]>();
  for (const record of seen) {
    const [key, value] = record.split("=") as [string, string];
    byKey.set(key, [...(byKey.get(key) ?? []), value]);
  }
  const wrong: string[] = [];
  let duplicates = 0;
  let overCount = 0;
  let missing = 0;
  for (const [key, n] of expected) {
    const values = byKey.get(key) ?? [];
    const distinct = new Set(values);
    const over = [...distinct].filter((v) => Number(v.split(":")[1]) > n).length;
    overCount += over;
    duplicates += values.length - distinct.size + over;
    const want = Array.from({ length: n }, (_, i) => `${key}:${i + 1}`);
    missing += want.filter((w) => !distinct.has(w)).length;
    const ok = values.length === n && want.every((w) => distinct.has(w));
    if (!ok) wrong.push(`${key}: expected ${n} outputs ${key}:1..${key}:${n}, saw ${values.length}: ${values.slice(0, 12).join(" ")}`);
  }
  return { kills, wrong, duplicates, overCount, missing, seen: seen.length };
}
