import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { kills, verifyWithCrashes } from "./crash-run.js";
import { CLI, freePortOffset, killAllWorkers, VERIFIER_MODULE, WorkerProcess } from "./process.js";
import { chooseSeed } from "./random.js";

/**
 * The crash verifier's test on one setting of the embedded store: a real worker process on SQLite
 * (its environment given by `env`), random command trees over HTTP, SIGKILL at random moments while
 * they flow, then the verifier's exact count per instance (over = an effect applied twice, under =
 * an effect lost) after at least 3 kills. Replay a failure with VERIFIER_SEED=<seed> (printed in
 * the message).
 */
export function crashVerifierSuite(title: string, name: string, env?: Readonly<Record<string, string>>): void {
  const dir = mkdtempSync(join(tmpdir(), `statefun-e2e-${name}-`));
  afterAll(async () => {
    await killAllWorkers();
    rmSync(dir, { recursive: true, force: true });
  });

  describe(title, () => {
    it("ends with every count exact and every egress record delivered after 3+ kills", async () => {
      expect(existsSync(CLI), `build first (npm run build): ${CLI}`).toBe(true);
      const seed = chooseSeed();
      const portOffset = await freePortOffset();
      const worker = new WorkerProcess({
        args: [CLI, "run", VERIFIER_MODULE, "--data", join(dir, "data"), "--port-offset", String(portOffset)],
        portOffset,
        logFile: join(dir, "worker.log"),
        env,
      });
      await verifyWithCrashes(worker, seed, (report) => {
        console.log(report.message);
        if (!report.ok) console.error(report.log.join("\n"));
        expect(kills(report).length, report.message).toBeGreaterThanOrEqual(3);
        for (const kill of kills(report)) expect(kill.acknowledged, `a kill after the traffic\n${report.message}`).toBeLessThan(kill.total);
        expect(worker.unexpectedExits, `the worker died on its own\n${worker.logTail(100)}`).toEqual([]);
        expect(report.ok, report.message).toBe(true);
        expect(report.stats.ids).toBeGreaterThanOrEqual(100);
      });
    }, 120_000);
  });
}
