/**
 * The crash verifier (test/e2e/verifier) with the function written in Go: the command
 * interpreter of test/interop/go/verifier.go (official StateFun Go SDK) behind our runtime,
 * which is killed with SIGKILL while the trees flow. Every count must end exact and every
 * egress record arrive: exactly-once holds for remote functions too, through retried
 * batches, re-sent state and delayed messages kept by the runtime.
 * Replay a failure with VERIFIER_SEED=<seed> (printed in the message).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { crashSchedule } from "../e2e/verifier/chaos.js";
import { runVerifier } from "../e2e/verifier/driver.js";
import { CLI, freePortOffset, killAllWorkers, WorkerProcess } from "../e2e/verifier/process.js";
import { chooseSeed, Random } from "../e2e/verifier/random.js";
import { GoFunctionServer, requireGoFunctions, stopAllGoServers, writeModule } from "./go/server.js";

const dir = mkdtempSync(join(tmpdir(), "statefun-interop-go-verifier-"));
afterAll(async () => {
  await killAllWorkers();
  await stopAllGoServers();
  rmSync(dir, { recursive: true, force: true });
});

describe("crash verifier: Go functions behind a runtime killed with SIGKILL", () => {
  it("ends with every count exact and every egress record delivered after 3+ kills", async () => {
    requireGoFunctions();
    expect(existsSync(CLI), `build first (npm run build): ${CLI}`).toBe(true);
    const seed = chooseSeed();
    const go = await GoFunctionServer.start(join(dir, "go.log"));
    const worker = WorkerProcess.cli(writeModule(dir, go), {
      dataDir: join(dir, "data"),
      portOffset: await freePortOffset(),
      logFile: join(dir, "worker.log"),
    });
    const logs = () => `--- runtime log ---\n${worker.logTail(200)}\n--- Go function server log ---\n${go.logTail(60)}`;
    try {
      await worker.start();
      const { ingress, egress, admin } = worker.urls;
      const report = await runVerifier({
        seed,
        ingress: [ingress],
        egress: [egress],
        admin: [admin],
        chaos: crashSchedule(new Random(seed ^ 0x5eed), [worker], { kills: 3 }),
      });
      console.log(report.message);
      if (!report.ok) console.error(`${report.message}\n${report.log.join("\n")}\n${logs()}`);
      const kills = report.chaos.filter((c) => c.event.startsWith("SIGKILL"));
      expect(kills.length, report.message).toBeGreaterThanOrEqual(3);
      for (const kill of kills) expect(kill.acknowledged, `a kill after the traffic\n${report.message}`).toBeLessThan(kill.total);
      expect(report.ok, report.message).toBe(true);
      expect(report.stats.ids).toBeGreaterThanOrEqual(100);
    } catch (error) {
      console.error(`seed ${seed}\n${logs()}`);
      throw error;
    } finally {
      await worker.kill();
      await go.stop();
    }
  }, 150_000);
});
