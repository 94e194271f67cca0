/**
 * Migration under traffic (issue 15): the crash verifier runs against one embedded worker on
 * SQLite; part-way through, the worker is killed with SIGKILL (messages waiting, delayed messages
 * pending and cancelled, egress records unread), `statefun migrate` moves its data directory to
 * PostgreSQL, and two cluster workers go on from there, one on the SQLite worker's ports. The
 * driver keeps sending through both ingresses and consuming both egresses: at the end every
 * count is exact, every egress record arrived and no cancelled message was delivered.
 * Replay a failure with VERIFIER_SEED=<seed> (printed in the message).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { withSchema } from "../e2e/cluster/workers.js";
import { runVerifier, type Traffic } from "../e2e/verifier/driver.js";
import { sleep } from "../e2e/verifier/http.js";
import { CLI, freePortOffset, killAllWorkers, VERIFIER_MODULE, WorkerProcess } from "../e2e/verifier/process.js";
import { chooseSeed } from "../e2e/verifier/random.js";
import { dropSchema, testPostgresUrl, uniqueSchema } from "../setup/postgres-env.js";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "statefun-moving-verifier-"));
const schema = uniqueSchema("mv_verifier");
afterAll(async () => {
  await killAllWorkers();
  rmSync(dir, { recursive: true, force: true });
  await dropSchema(schema);
});

describe("migration under traffic: SQLite worker killed mid-stream, migrated, continued on two PostgreSQL workers", () => {
  it("ends with every count exact, every egress record delivered, no cancelled message delivered", async () => {
    expect(existsSync(CLI), `build first (npm run build): ${CLI}`).toBe(true);
    const seed = chooseSeed();
    const store = withSchema(testPostgresUrl(), schema);
    const data = join(dir, "data");
    const [first, second] = [await freePortOffset(), await freePortOffset()];
    const embedded = WorkerProcess.cli(VERIFIER_MODULE, { dataDir: data, portOffset: first, logFile: join(dir, "embedded.log") });
    const cluster = [first, second].map((portOffset, i) =>
      WorkerProcess.clusterCli(VERIFIER_MODULE, { store, portOffset, logFile: join(dir, `cluster-${i}.log`) }),
    );
    let migrated = "";
    const chaos = async (traffic: Traffic) => {
      while (!traffic.finished && traffic.acknowledged < 0.4 * traffic.total) await sleep(10);
      await embedded.kill();
      traffic.record("SIGKILL the SQLite worker");
      migrated = (await run(process.execPath, [CLI, "migrate", "--from", `sqlite:${data}`, "--to", store])).stdout;
      traffic.record(`migrated to PostgreSQL:\n${migrated}`);
      for (const worker of cluster) await worker.start();
      traffic.record("two cluster workers started");
    };
    try {
      await embedded.start();
      const urls = cluster.map((w) => w.urls);
      const report = await runVerifier({
        seed,
        ingress: urls.map((u) => u.ingress),
        egress: urls.map((u) => u.egress),
        admin: urls.map((u) => u.admin),
        chaos,
      });
      console.log(report.message);
      if (!report.ok) console.error(report.log.join("\n"));
      expect(migrated, report.message).toMatch(/verified: every count equal/);
      const moved = (kind: string) => Number(new RegExp(`^${kind}\\s+(\\d+)\\s+\\d+$`, "m").exec(migrated)?.[1] ?? -1);
      // Killed mid-stream: messages (waiting or delayed) were still in the store and moved.
      expect(moved("message"), migrated).toBeGreaterThan(0);
      expect(moved("idempotency-key"), migrated).toBeGreaterThan(0);
      expect(report.chaos.some((c) => c.event.startsWith("SIGKILL") && c.acknowledged < c.total)).toBe(true);
      expect(embedded.unexpectedExits, embedded.logTail(100)).toEqual([]);
      for (const [i, w] of cluster.entries()) expect(w.unexpectedExits, `worker ${i} died on its own\n${w.logTail(100)}`).toEqual([]);
      expect(report.ok, report.message).toBe(true);
      expect(report.stats.ids).toBeGreaterThanOrEqual(100);
    } catch (error) {
      console.error(`seed ${seed}; logs:\n${[embedded, ...cluster].map((w, i) => `--- worker ${i}\n${w.logTail(80)}`).join("\n")}`);
      throw error;
    } finally {
      await embedded.kill();
      for (const worker of cluster) await worker.kill();
    }
  }, 150_000);
});
