/**
 * The crash verifier catches violations: the same driver and crash schedule as
 * `crash-verifier.test.ts`, against workers whose store breaks the commit rule on purpose
 * (`fixtures/broken-worker.ts`), must report failure with the right kind of mismatch.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, type ExpectStatic, it } from "vitest";
import { kills, verifyWithCrashes } from "./verifier/crash-run.js";
import type { VerifierReport } from "./verifier/driver.js";
import { CLI, freePortOffset, killAllWorkers, WorkerProcess } from "./verifier/process.js";
import { chooseSeed } from "./verifier/random.js";

const BROKEN_WORKER = fileURLToPath(new URL("./fixtures/broken-worker.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "statefun-e2e-broken-"));
afterAll(async () => {
  await killAllWorkers();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the verifier against a broken worker with 3 SIGKILLs while the traffic flows. */
async function verifyBroken(
  expect: ExpectStatic,
  mode: "drop-consumed" | "volatile-timers" | "lost-cancellations" | "forget-idempotency-keys",
): Promise<VerifierReport> {
  expect(existsSync(CLI), `build first (npm run build): ${CLI}`).toBe(true);
  const seed = chooseSeed();
  const portOffset = await freePortOffset();
  const worker = new WorkerProcess({
    args: ["--import", "tsx", BROKEN_WORKER, mode, join(dir, mode), String(portOffset)],
    portOffset,
    logFile: join(dir, `${mode}.log`),
  });
  return verifyWithCrashes(
    worker,
    seed,
    (report) => {
      console.log(`(a failure is expected here: the ${mode} worker breaks the commit rule)\n${report.message}`);
      expect(kills(report).length).toBeGreaterThanOrEqual(3);
    },
    { quiescenceTimeoutMs: 5000 },
  );
}

// The four run at once (each its own worker, ports and data): their verdicts do not depend on speed.
describe.concurrent("the crash verifier catches a broken commit rule", () => {
  it("reports OVER when consumed messages are not deleted (redelivered after a restart)", async ({ expect }) => {
    const report = await verifyBroken(expect, "drop-consumed");
    expect(report.ok).toBe(false);
    expect(report.over.length, report.message).toBeGreaterThan(0);
    expect(report.message).toContain("an effect was applied twice");
    expect(report.message).toContain(`VERIFIER_SEED=${report.seed}`);
    const first = report.over[0]!;
    expect(report.message).toContain(`${first.id} expected ${first.expected} got ${first.actual}`);
  }, 120_000);

  it("reports UNDER when delayed messages are acknowledged but not stored (lost in a crash)", async ({ expect }) => {
    const report = await verifyBroken(expect, "volatile-timers");
    expect(report.ok).toBe(false);
    expect(report.under.length, report.message).toBeGreaterThan(0);
    expect(report.message).toContain("an effect was lost");
  }, 120_000);

  it("reports OVER when cancellations are not stored (a cancelled message fires after a restart)", async ({ expect }) => {
    const report = await verifyBroken(expect, "lost-cancellations");
    expect(report.ok).toBe(false);
    expect(report.over.length, report.message).toBeGreaterThan(0);
    expect(report.message).toContain("an effect was applied twice");
  }, 120_000);

  it("reports OVER and ignored idempotency keys when retried requests are accepted again", async ({ expect }) => {
    const report = await verifyBroken(expect, "forget-idempotency-keys");
    expect(report.ok).toBe(false);
    expect(report.resendsAccepted.length, report.message).toBeGreaterThan(0);
    expect(report.over.length, report.message).toBeGreaterThan(0);
    expect(report.message).toContain("IDEMPOTENCY KEY IGNORED");
  }, 120_000);
});
