// Chain on PostgreSQL: as chain.js (10,000 counter instances, each message increments its
// counter and sends one message on), with 1 or more worker processes in cluster mode sharing
// one PostgreSQL database (synchronous_commit on). A message to an instance of another worker
// goes through the store and wakes its owner. Usage: chain-postgres.js [--workers N] [--ids N] [--seconds N]
import { arg, peakRssMiB, percentile, report, sleep } from "./common.js";
import { postgres, startWorkers } from "./pg-cluster.js";

const workersWanted = arg("workers", 1);
const ids = arg("ids", 10_000);
const seconds = arg("seconds", 10);
const warmup = arg("warmup", 3);

const pg = postgres(`chain${workersWanted}`);
const workers = [];
try {
  await startWorkers(pg.url, workersWanted, ids, workers);
  await workers[0].ask("seed");
  await sleep(warmup * 1000);
  await Promise.all(workers.map((w) => w.ask("reset")));
  const serverBefore = pg.cpuMicros();
  const started = performance.now();
  await sleep(seconds * 1000);
  const reports = await Promise.all(workers.map((w) => w.ask("report")));
  const elapsed = (performance.now() - started) / 1000;
  const serverCpu = pg.cpuMicros() - serverBefore;
  const committed = reports.reduce((a, r) => a + r.committed, 0);
  const commits = reports.reduce((a, r) => a + r.commits, 0);
  // How the commits formed (each worker's smallest and largest, and how much of the time one was at
  // the store: less than 100 % is the store waiting for the engine), and the server's side of the
  // CPU (the row's CPU per message is the workers').
  process.stderr.write(
    `chain-postgres: ${commits} commits (${(commits / elapsed).toFixed(1)}/s) of ${Math.round(committed / commits)} messages on average, ` +
      `PostgreSQL server CPU ${(serverCpu / committed).toFixed(2)} µs/msg, ` +
      reports
        .map((r) => `${r.batchMessages.join("-")} messages a commit, a commit at the store ${Math.round(100 * r.storeBusy)} % of the time`)
        .join("; ") +
      "\n",
  );
  report({
    workload: "chain",
    mode: `PostgreSQL, ${workersWanted} worker process${workersWanted === 1 ? "" : "es"} (cluster mode), ${ids} ids`,
    msgsPerSec: Math.round(committed / elapsed),
    p50ms: percentile(
      reports.map((r) => r.p50ms),
      50,
    ),
    p99ms: Math.max(...reports.map((r) => r.p99ms)),
    latency: "commit (p99: the worst worker's)",
    peakRssMiB: Math.max(peakRssMiB(), ...reports.map((r) => r.rssMiB)),
    cpuMicrosPerMsg: Number((reports.reduce((a, r) => a + r.cpuMicros, 0) / committed).toFixed(2)),
    messagesPerCommit: Math.round(committed / commits),
    serverCpuMicrosPerMsg: Number((serverCpu / committed).toFixed(2)),
  });
} finally {
  await Promise.all(workers.map((w) => w.stop()));
  pg.stop();
}
