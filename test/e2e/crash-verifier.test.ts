/**
 * End-to-end exactly-once check (DESIGN §2, §6): a real worker process on SQLite, random
 * command trees over HTTP, SIGKILL at random moments while they flow, and the verifier's
 * exact count per instance (over = an effect applied twice, under = an effect lost).
 * Replay a failure with VERIFIER_SEED=<seed> (printed in the message).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { kills, verifyWithCrashes } from "./verifier/crash-run.js";
import { CLI, freePortOffset, killAllWorkers, VERIFIER_MODULE, WorkerProcess } from "./verifier/process.js";
import { chooseSeed } from "./verifier/random.js";

const dir = mkdtempSync(join(tmpdir(), "statefun-e2e-crash-"));
afterAll(async () => {
  await killAllWorkers();
  rmSync(dir, { recursive: true, force: true });
});

describe("crash verifier: a worker process killed with SIGKILL while traffic flows", () => {
  it("ends with every count exact and every egress record delivered after 3+ kills", async () => {
    expect(existsSync(CLI), `build first (npm run build): ${CLI}`).toBe(true);
    const seed = chooseSeed();
    const worker = WorkerProcess.cli(VERIFIER_MODULE, {
      dataDir: join(dir, "data"),
      portOffset: await freePortOffset(),
      logFile: join(dir, "worker.log"),
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
