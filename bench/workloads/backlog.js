// Backlog: RSS while 10,000,000 messages wait in the store and while they drain (issue 13: "RSS
// stays flat under a 10-million-message backlog"). Run under the worker's default memory budget,
// as `statefun run` runs (`--memory`, default 512 MiB: node's heap limit and the cache's budget
// from it).
//
//   fill:  16 `bench/seed` instances each send themselves a message, hop after hop, and 1,000
//          messages per hop to `bench/sink` (10,000 instances), a type no module has loaded yet:
//          the messages wait in the store (SQLite, fsync) until it is.
//   drain: the `bench/sink` module is loaded; each message adds one to its instance's count, until
//          every message is consumed (the counts are checked: their sum is the messages sent).
//
// RSS is sampled every 250 ms. Reported: RSS before the fill, its peak during the fill, at the
// full backlog, its peak during the drain and at the end, with the rates of both phases.
//
// Options: --messages N (default 10,000,000) --ids N (sink instances, default 10,000)
// --memory BYTES (default 512 MiB) --thread (the store's SQLite work on a worker thread,
// ThreadedSqliteStore, as `statefun run` has it by default).
import { statSync } from "node:fs";
import { join } from "node:path";
import { Runtime } from "../../packages/runtime/dist/index.js";
import { statefulFunction, statefunModule, Types, valueSpec } from "../../packages/sdk/dist/index.js";
import { memoryPlan } from "../../packages/server/dist/cli/memory.js";
import { SqliteStore, ThreadedSqliteStore } from "../../packages/store-sqlite/dist/index.js";
import { arg, peakRssMiB, recorder, report, sleep, tempDir, underMemoryBudget } from "./common.js";

const messages = arg("messages", 10_000_000);
const ids = arg("ids", 10_000);
const memory = arg("memory", 512 * 2 ** 20);
const threaded = process.argv.includes("--thread");
const plan = memoryPlan(memory);
await underMemoryBudget(memory, plan.heapMiB);

const SEEDS = 16;
const FANOUT = 1_000;
const hopsPerSeed = Math.ceil(messages / SEEDS / FANOUT);
const total = hopsPerSeed * SEEDS * FANOUT;

const count = valueSpec("count", Types.int);
const sink = statefulFunction({
  typename: "bench/sink",
  state: { count },
  accepts: [Types.int],
  handler(ctx) {
    ctx.state.count.set((ctx.state.count.get() ?? 0) + 1);
  },
});
const seed = statefulFunction({
  typename: "bench/seed",
  accepts: [Types.int],
  handler(ctx, message) {
    const left = message.as(Types.int);
    const base = Number(ctx.self.id) * FANOUT + left;
    for (let i = 0; i < FANOUT; i++) ctx.send(sink.at(String((base + i * 7919) % ids)), Types.int, 1);
    if (left > 1) ctx.send(seed.at(ctx.self.id), Types.int, left - 1);
  },
});

const { dir, remove } = tempDir("backlog");
const metrics = recorder();
const runtime = new Runtime({
  metrics,
  store: threaded ? new ThreadedSqliteStore({ dir }) : new SqliteStore({ dir }),
  modules: [statefunModule({ functions: [seed] })],
  limits: { maxCacheBytes: plan.cacheBytes },
});
await runtime.start();

const mib = (bytes) => Math.round(bytes / 2 ** 20);
let peak = 0;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage.rss());
}, 250);
const settle = async (done) => {
  while (!done()) await sleep(250);
};

const rssBefore = mib(process.memoryUsage.rss());
const fillStarted = performance.now();
for (let s = 0; s < SEEDS; s++)
  await runtime.ingest({ target: seed.at(String(s)), argument: { typename: Types.int.typename, value: Types.int.serialize(hopsPerSeed) } });
await settle(() => (runtime.storeCounts()?.messages ?? 0) >= total && runtime.gauges().pendingCommits === 0);
const fillSeconds = (performance.now() - fillStarted) / 1000;
const fillPeak = mib(peak);
const rssFull = mib(process.memoryUsage.rss());
const dbMiB = mib(statSync(join(dir, "statefun.db")).size);
process.stderr.write(
  `backlog: ${total.toLocaleString("en-US")} messages waiting after ${fillSeconds.toFixed(1)} s, RSS ${rssFull} MiB (db ${dbMiB} MiB)\n`,
);

peak = 0;
metrics.reset();
const cpuBefore = process.cpuUsage();
const drainStarted = performance.now();
let lastReport = drainStarted;
runtime.load(statefunModule({ functions: [sink] }));
await settle(() => {
  if (performance.now() - lastReport > 10_000) {
    lastReport = performance.now();
    process.stderr.write(
      `backlog: ${runtime.storeCounts()?.messages.toLocaleString("en-US")} left, RSS ${mib(process.memoryUsage.rss())} MiB\n`,
    );
  }
  return runtime.storeCounts()?.messages === 0 && runtime.gauges().pendingCommits === 0;
});
const drainSeconds = (performance.now() - drainStarted) / 1000;
const drainCpu = process.cpuUsage(cpuBefore);
const drainCommits = metrics.samples("commit_batch_size");
clearInterval(sampler);
const drainPeak = mib(Math.max(peak, process.memoryUsage.rss()));
const rssEnd = mib(process.memoryUsage.rss());

let counted = 0;
for (let i = 0; i < ids; i++) {
  const value = (await runtime.readState(sink.at(String(i)))).find((v) => v.name === "count");
  if (value !== undefined) counted += Types.int.deserialize(value.value);
}
await runtime.stop();
remove();
if (counted !== total) throw new Error(`the sinks counted ${counted} messages, ${total} were sent`);

report({
  workload: "backlog",
  mode:
    `embedded, SQLite fsync${threaded ? " on a worker thread" : ""}, ${total.toLocaleString("en-US")} messages waiting for ${ids.toLocaleString("en-US")} ids, --memory ${mib(memory)} MiB; ` +
    `RSS MiB: ${rssBefore} before, ${fillPeak} peak while filling (${Math.round(total / fillSeconds).toLocaleString("en-US")} msgs/s), ` +
    `${rssFull} with the backlog (db ${dbMiB} MiB), ${drainPeak} peak while draining, ${rssEnd} at the end; msgs/s: the drain`,
  msgsPerSec: Math.round(total / drainSeconds),
  cpuMicrosPerMsg: Number(((drainCpu.user + drainCpu.system) / total).toFixed(2)),
  fillMsgsPerSec: Math.round(total / fillSeconds),
  // The drain's store commits, and the invocations (one message each) in each on average.
  drainCommits: drainCommits.length,
  drainMeanCommitBatch: Math.round(drainCommits.reduce((a, b) => a + b, 0) / Math.max(1, drainCommits.length)),
  rssBeforeMiB: rssBefore,
  fillPeakRssMiB: fillPeak,
  fullBacklogRssMiB: rssFull,
  drainPeakRssMiB: drainPeak,
  endRssMiB: rssEnd,
  peakRssMiB: peakRssMiB(),
  dbMiB,
});
