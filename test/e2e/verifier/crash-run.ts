import { crashSchedule, E2E_CRASHES } from "./chaos.js";
import { runVerifier, type VerifierOptions, type VerifierReport } from "./driver.js";
import type { WorkerProcess } from "./process.js";
import { Random } from "./random.js";

/**
 * Starts one worker and runs the verifier against it with 3 SIGKILLs while the traffic flows;
 * `check` inspects the report. On any failure the seed and the worker's log tail are printed;
 * the worker is killed in the end.
 */
export async function verifyWithCrashes(
  worker: WorkerProcess,
  seed: number,
  check: (report: VerifierReport) => void,
  options: Partial<VerifierOptions> = {},
): Promise<VerifierReport> {
  try {
    await worker.start();
    const { ingress, egress, admin } = worker.urls;
    const report = await runVerifier({
      seed,
      ingress: [ingress],
      egress: [egress],
      admin: [admin],
      chaos: crashSchedule(new Random(seed ^ 0x5eed), [worker], E2E_CRASHES),
      ...options,
    });
    check(report);
    return report;
  } catch (error) {
    console.error(`seed ${seed}; worker log:\n${worker.logTail(200)}`);
    throw error;
  } finally {
    await worker.kill();
  }
}

/** The SIGKILLs the crash schedule sent. */
export function kills(report: VerifierReport): VerifierReport["chaos"] {
  return report.chaos.filter((c) => /^SIGKILL worker \d+$/.test(c.event));
}
