/**
 * The crash verifier (see crash-verifier.test.ts, whose worker runs the default embedded store, its
 * SQLite work on a thread of its own) on the embedded store with its SQLite work on the engine's
 * thread (`STATEFUN_SQLITE_THREAD=0`, `SqliteStore`): SIGKILL at random moments while traffic
 * flows, and every count exact afterwards. Replay a failure with VERIFIER_SEED=<seed>.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { kills, verifyWithCrashes } from "./verifier/crash-run.js";
import { CLI, freePortOffset, killAllWorkers, VERIFIER_MODULE, WorkerProcess } from "./verifier/process.js";
import { chooseSeed } from "./verifier/random.js";

const dir = mkdtempSync(join(tmpdir(), "statefun-e2e-crash-engine-thread-"));
afterAll(async () => {
  await killAllWorkers();
  rmSync(dir, { recursive: true, force: true });
});

describe("crash verifier, store on the engine's thread: a worker process killed with SIGKILL while traffic flows", () => {
  it("ends with every count exact and every egress record delivered after 3+ kills", async () => {
    expect(existsSync(CLI), `build first (npm run build): ${CLI}`).toBe(true);
    const seed = chooseSeed();
    const portOffset = await freePortOffset();
    const worker = new WorkerProcess({
      args: [CLI, "run", VERIFIER_MODULE, "--data", join(dir, "data"), "--port-offset", String(portOffset)],
      portOffset,
      logFile: join(dir, "worker.log"),
      env: { STATEFUN_SQLITE_THREAD: "0" },
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
