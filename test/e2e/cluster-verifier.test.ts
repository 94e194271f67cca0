/**
 * Cluster mode end to end (issue 6): the crash verifier against three worker processes sharing
 * one real PostgreSQL database. The driver sends its command trees through all three ingresses
 * (each with an idempotency key) and consumes the egress topic from all three; meanwhile two
 * workers are killed with SIGKILL and restarted, and the third is frozen with SIGSTOP past its
 * lease and resumed: its key groups are taken over, and its late commits must be refused (it
 * logs that it was fenced and joins again). At the end every count is exact and every egress
 * record arrived. Replay a failure with VERIFIER_SEED=<seed> (printed in the message).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dropSchema, testPostgresUrl, uniqueSchema } from "../setup/postgres-env.js";
import { KEY_GROUPS, settledStatuses, withSchema } from "./cluster/workers.js";
import { clusterSchedule } from "./verifier/cluster-chaos.js";
import { runVerifier } from "./verifier/driver.js";
import { CLI, freePortOffset, killAllWorkers, VERIFIER_MODULE, WorkerProcess } from "./verifier/process.js";
import { chooseSeed, Random } from "./verifier/random.js";

const dir = mkdtempSync(join(tmpdir(), "statefun-e2e-cluster-"));
const schema = uniqueSchema("e2e_cluster");
afterAll(async () => {
  await killAllWorkers();
  rmSync(dir, { recursive: true, force: true });
  await dropSchema(schema);
});

/** The runtime's default lease (3 s) plus a heartbeat (1 s) plus margin: the frozen worker's key groups are taken over. */
const FREEZE_MS = 6_000;

describe("cluster verifier: three workers on PostgreSQL, two killed and one frozen past its lease", () => {
  it("ends with every count exact and every egress record delivered", async () => {
    expect(existsSync(CLI), `build first (npm run build): ${CLI}`).toBe(true);
    const store = withSchema(testPostgresUrl(), schema);
    const seed = chooseSeed();
    const workers: WorkerProcess[] = [];
    for (let i = 0; i < 3; i++) {
      const portOffset = await freePortOffset();
      workers.push(WorkerProcess.clusterCli(VERIFIER_MODULE, { store, portOffset, logFile: join(dir, `worker-${i}.log`) }));
    }
    try {
      // One after the other: the first creates the schema.
      for (const worker of workers) await worker.start();
      const urls = workers.map((w) => w.urls);
      // Each holds its share before the traffic, so the frozen worker has key groups to lose.
      await settledStatuses(urls.map((u) => u.admin));
      const report = await runVerifier({
        seed,
        ingress: urls.map((u) => u.ingress),
        egress: urls.map((u) => u.egress),
        admin: urls.map((u) => u.admin),
        chaos: clusterSchedule(new Random(seed ^ 0xc1a5), workers, { freezeMs: FREEZE_MS }),
      });
      console.log(report.message);
      if (!report.ok) console.error(report.log.join("\n"));
      const kills = report.chaos.filter((c) => /^SIGKILL worker \d+$/.test(c.event));
      const freezes = report.chaos.filter((c) => /^SIGSTOP worker \d+$/.test(c.event));
      expect(kills.length, report.message).toBe(2);
      expect(freezes.length, report.message).toBe(1);
      for (const c of [...kills, ...freezes])
        expect(c.acknowledged, `a disturbance after the traffic\n${report.message}`).toBeLessThan(c.total);
      for (const [i, w] of workers.entries()) expect(w.unexpectedExits, `worker ${i} died on its own\n${w.logTail(100)}`).toEqual([]);
      expect(report.ok, report.message).toBe(true);
      expect(report.stats.ids).toBeGreaterThanOrEqual(100);

      // The frozen worker was fenced (a late commit refused, or its leases seen taken) and joined again.
      const frozen = workers[Number(/\d+/.exec(freezes[0]!.event)![0])]!;
      expect(frozen.log(), "the frozen worker never noticed it was fenced").toContain("fenced: dropping the engine's memory");

      // The three share every key group again, each held by exactly one of them.
      const statuses = await settledStatuses(urls.map((u) => u.admin));
      const held = statuses.flatMap((s) => s.keyGroups);
      expect(held.length, JSON.stringify(statuses)).toBe(KEY_GROUPS);
      for (const s of statuses) expect(s.clustered).toBe(true);
    } catch (error) {
      console.error(`seed ${seed}; worker logs:\n${workers.map((w, i) => `--- worker ${i}\n${w.logTail(120)}`).join("\n")}`);
      throw error;
    } finally {
      for (const worker of workers) await worker.kill();
    }
  }, 150_000);
});
