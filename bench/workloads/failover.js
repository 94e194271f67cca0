// Failover on PostgreSQL: 3 worker processes run the chain workload (chain-postgres.js) with the
// default cluster settings (heartbeat 1 s, lease 3 s); one is killed with SIGKILL, and for each
// of its key groups we time how long until an invocation runs there again on another worker.
// Usage: failover.js [--workers N] [--ids N] [--heartbeat MS --lease MS are the runtime's defaults]
import { arg, percentile, report, sleep } from "./common.js";
import { postgres, startWorkers } from "./pg-cluster.js";

const workersWanted = arg("workers", 3);
const ids = arg("ids", 10_000);
const warmup = arg("warmup", 3);

const pg = postgres(`failover${workersWanted}`);
const workers = [];
try {
  await startWorkers(pg.url, workersWanted, ids, workers);
  await workers[0].ask("seed");
  await sleep(warmup * 1000);
  const victim = workers.at(-1);
  const survivors = workers.slice(0, -1);
  const { owned } = await victim.ask("invoked");
  await Promise.all(survivors.map((w) => w.ask("mark")));
  const killedAt = Date.now();
  await victim.kill();
  const back = new Map();
  const deadline = Date.now() + 60_000;
  while (back.size < owned.length) {
    if (Date.now() > deadline)
      throw new Error(`after 60 s, ${owned.length - back.size} of the killed worker's key groups still did not run`);
    await sleep(50);
    for (const { firstInvoked } of await Promise.all(survivors.map((w) => w.ask("invoked")))) {
      for (const kg of owned) if (firstInvoked[kg] > killedAt && !back.has(kg)) back.set(kg, firstInvoked[kg] - killedAt);
    }
  }
  const times = [...back.values()];
  report({
    workload: "failover",
    mode: `PostgreSQL, ${workersWanted} workers running chain, 1 killed (SIGKILL), default heartbeat 1 s / lease 3 s, ${owned.length} key groups taken over`,
    p50ms: percentile(times, 50),
    p99ms: Math.max(...times),
    latency: "from the SIGKILL until each of its key groups runs again elsewhere (p99 column: the last one)",
  });
  workers.pop();
} finally {
  await Promise.all(workers.map((w) => w.stop()));
  pg.stop();
}
