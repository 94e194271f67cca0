// Chain: 10,000 counter instances; each message increments its instance's counter and sends
// one message on to another instance. Every hop is a state write, a message insert and a
// message delete, group-committed to SQLite with a real fsync per commit.
//
// --ids N (default 10,000) instances; --cache-memory BYTES: the address cache's budget
// (Limits.maxCacheBytes, default 256 MiB). --all-live: measure only once every instance has been
// invoked (has state), and report the cache's size and the peak RSS against its budget (the
// `chain-million` row: a million live instances). --memory BYTES: run as `statefun run --memory`
// does (the default 512 MiB of `statefun run` for `chain-million`): node started again with the
// heap limit of that budget, and the cache's budget from it unless --cache-memory is given.
import { getHeapStatistics } from "node:v8";
import { Runtime } from "../../packages/runtime/dist/index.js";
import { statefunModule, Types } from "../../packages/sdk/dist/index.js";
import { memoryPlan } from "../../packages/server/dist/cli/memory.js";
import { SqliteStore, ThreadedSqliteStore } from "../../packages/store-sqlite/dist/index.js";
import { arg, mainThreadCpuMicros, peakRssMiB, percentile, recorder, report, sleep, tempDir, underMemoryBudget } from "./common.js";
import { chainCounter } from "./counter.js";

const ids = arg("ids", 10_000);
const seconds = arg("seconds", 10);
const warmup = arg("warmup", 2);
const maxCommitBatch = arg("batch", undefined);
// `--cluster`: the same single process, in cluster mode (a cluster of one on SQLite's leases).
const cluster = process.argv.includes("--cluster");
// --thread: the store's SQLite work on a worker thread (ThreadedSqliteStore).
const threaded = process.argv.includes("--thread");
const memory = arg("memory", undefined);
await underMemoryBudget(memory, memory === undefined ? undefined : memoryPlan(memory).heapMiB);
const cacheBytes = arg("cache-memory", memory === undefined ? undefined : memoryPlan(memory).cacheBytes);
const allLive = process.argv.includes("--all-live");

const counter = chainCounter(ids);

const { dir, remove } = tempDir("chain");
const metrics = recorder();
const runtime = new Runtime({
  store: threaded ? new ThreadedSqliteStore({ dir }) : new SqliteStore({ dir }),
  modules: [statefunModule({ functions: [counter] })],
  metrics,
  limits: { ...(maxCommitBatch ? { maxCommitBatch } : {}), ...(cacheBytes ? { maxCacheBytes: cacheBytes } : {}) },
  cluster: cluster || undefined,
});
await runtime.start();
// One message per instance, in slices the ingress takes without answering "overloaded".
for (let first = 0; first < ids; first += 5_000) {
  const seed = [];
  for (let i = first; i < Math.min(ids, first + 5_000); i++)
    seed.push(runtime.ingest({ target: counter.at(String(i)), argument: { typename: Types.int.typename, value: Types.int.serialize(0) } }));
  await Promise.all(seed);
}
if (allLive) {
  // Every seeded message invoked once: every instance has state in the store.
  const started = performance.now();
  while (metrics.counter("invocations") < ids) await sleep(500);
  process.stderr.write(`chain: ${ids} instances live after ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}
await sleep(warmup * 1000);
metrics.reset();
const cpuBefore = process.cpuUsage();
const mainBefore = mainThreadCpuMicros();
const started = performance.now();
await sleep(seconds * 1000);
const elapsed = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const mainCpu = mainThreadCpuMicros() - mainBefore;
const batchSizes = metrics.samples("commit_batch_size");
const committed = batchSizes.reduce((a, b) => a + b, 0);
const latency = metrics.samples("commit_latency_seconds").map((s) => s * 1000);
const { cachedAddresses, cachedBytes } = runtime.gauges();
await runtime.stop();
remove();
report({
  workload: "chain",
  mode:
    `embedded, SQLite fsync${threaded ? " on a worker thread" : ""}, ${ids.toLocaleString("en-US")} ids${cluster ? ", cluster of one" : ""}` +
    (allLive ? `, all live, cache budget ${Math.round((cacheBytes ?? 256 * 2 ** 20) / 2 ** 20)} MiB` : "") +
    (memory === undefined ? "" : `, --memory ${Math.round(memory / 2 ** 20)} MiB`),
  msgsPerSec: Math.round(committed / elapsed),
  p50ms: percentile(latency, 50),
  p99ms: percentile(latency, 99),
  latency: "commit",
  peakRssMiB: peakRssMiB(),
  heapLimitMiB: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20),
  cpuMicrosPerMsg: Number(((cpu.user + cpu.system) / committed).toFixed(2)),
  // Of which the engine's thread (all of it with the store on the same thread).
  mainThreadCpuMicrosPerMsg: Number((mainCpu / committed).toFixed(2)),
  commitsPerSec: Math.round(batchSizes.length / elapsed),
  meanCommitBatch: Math.round(committed / Math.max(1, batchSizes.length)),
  cacheBudgetMiB: Math.round((cacheBytes ?? 256 * 2 ** 20) / 2 ** 20),
  cachedAddresses,
  cachedMiB: Math.round((cachedBytes ?? 0) / 2 ** 20),
});
