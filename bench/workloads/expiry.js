// Expiry: the chain workload (10,000 counters passing messages, SQLite fsync) runs throughout.
// 1,000,000 other instances are created (one invocation each, one state value, instance TTL
// 1 h), then the TTL lapses while the chain runs (the runtime's clock jumps 1 h ahead: every
// instance expires at once, the worst case for the sweeper). Measured: the chain's throughput
// before the instances were created (no sweep) and during the sweep, the time until every instance is
// gone and until the freed storage is given back, and the storage (database + WAL file) before
// the instances were created, after, and after the sweep.
//   node bench/workloads/expiry.js [--instances 1000000] [--ids 10000] [--seconds 10] [--share 0.1] [--thread]
// (--thread: the store's SQLite work on a worker thread, ThreadedSqliteStore, as `statefun run` has it by default)
import { statSync } from "node:fs";
import { join } from "node:path";
import { Runtime } from "../../packages/runtime/dist/index.js";
import { statefulFunction, statefunModule, Types, valueSpec } from "../../packages/sdk/dist/index.js";
import { SqliteStore, ThreadedSqliteStore } from "../../packages/store-sqlite/dist/index.js";
import { arg, peakRssMiB, report, sleep, tempDir } from "./common.js";
import { chainCounter } from "./counter.js";

const instances = arg("instances", 1_000_000);
const ids = arg("ids", 10_000);
const seconds = arg("seconds", 10);
const share = arg("share", undefined);
const TTL_MS = 3_600_000;

const counter = chainCounter(ids);
// Creates instances `idle-{first}` … `idle-{first + FANOUT - 1}`: one message to each.
const FANOUT = 1000;
const spawner = statefulFunction({
  typename: "bench/spawner",
  accepts: [Types.int],
  handler(ctx, message) {
    const first = message.as(Types.int);
    for (let i = first; i < Math.min(instances, first + FANOUT); i++) ctx.send(idle.at(`idle-${i}`), Types.int, i);
  },
});
const seen = valueSpec("seen", Types.int);
const idle = statefulFunction({
  typename: "bench/idle",
  state: { seen },
  accepts: [Types.int],
  instanceTtl: TTL_MS,
  handler(ctx, message) {
    ctx.state.seen.set(message.as(Types.int));
  },
});

/** Counts what the engine reports; `invocations` of the chain are what we measure. */
const counts = new Map();
const metrics = {
  count(name, by = 1) {
    counts.set(name, (counts.get(name) ?? 0) + by);
  },
  observe() {},
};
const counted = (name) => counts.get(name) ?? 0;

let offset = 0;
const clock = {
  now: () => Date.now() + offset,
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, ms);
    handle.unref?.();
    return { cancel: () => clearTimeout(handle) };
  },
};

process.on("SIGINT", () => process.exit(130));
const { dir, remove } = tempDir("expiry");
const threaded = process.argv.includes("--thread");
const store = threaded ? new ThreadedSqliteStore({ dir }) : new SqliteStore({ dir });
const runtime = new Runtime({
  store,
  clock,
  metrics,
  modules: [statefunModule({ functions: [counter, spawner, idle] })],
  sweep: share === undefined ? {} : { share },
});
const MiB = 2 ** 20;
const fileMiB = (file) => {
  try {
    return statSync(join(dir, file)).size / MiB;
  } catch {
    return 0; // no WAL file at the moment
  }
};
/** The database file and its WAL, in MiB. */
const size = () => {
  const db = fileMiB("statefun.db");
  const wal = fileMiB("statefun.db-wal");
  return { total: Number((db + wal).toFixed(1)), db: Number(db.toFixed(1)), wal: Number(wal.toFixed(1)) };
};
const log = (what) => process.stderr.write(`expiry: ${what}\n`);
const int = (n) => ({ typename: Types.int.typename, value: Types.int.serialize(n) });

/** Chain invocations per second over `ms` (the idle instances are not invoked meanwhile). */
async function chainRate(ms) {
  const before = counted("invocations");
  const started = performance.now();
  await sleep(ms);
  return (counted("invocations") - before) / ((performance.now() - started) / 1000);
}

await runtime.start();
const seed = [];
for (let i = 0; i < ids; i++) seed.push(runtime.ingest({ target: counter.at(String(i)), argument: int(0) }));
await Promise.all(seed);
await sleep(5000);
const baseline = await chainRate(seconds * 1000);
const sizeBefore = size();

const createStarted = performance.now();
const spawns = [];
for (let first = 0; first < instances; first += FANOUT)
  spawns.push(runtime.ingest({ target: spawner.at(String(first)), argument: int(first) }));
await Promise.all(spawns);
// Wait until every idle instance ran: only the chain's messages are left waiting.
while ((await runtime.storeStats()).messages > ids) {
  await sleep(1000);
  log(`creating: ${JSON.stringify(await runtime.storeStats())}, ${counted("invocations")} invocations`);
}
const createSeconds = (performance.now() - createStarted) / 1000;
await sleep(5000);
const sizeAfter = size();

const withInstances = await chainRate(Math.min(5, seconds) * 1000);

// The TTL lapses: one hour passes for the runtime.
offset += TTL_MS + TTL_MS / 100 + 1000;
const sweepStarted = performance.now();
const beforeSweep = counted("invocations");
for (let i = 1; counted("instances_expired") < instances; i++) {
  await sleep(50);
  if (i % 20 === 0) log(`sweeping: ${counted("instances_expired")} instances expired`);
}
const sweepSeconds = (performance.now() - sweepStarted) / 1000;
const duringSweep = (counted("invocations") - beforeSweep) / sweepSeconds;
const beforeReclaim = counted("invocations");
for (let i = 1; (await store.freePages()) > 0; i++) {
  await sleep(50);
  if (i % 20 === 0) log(`reclaiming: ${await store.freePages()} free pages`);
}
const reclaimSeconds = (performance.now() - sweepStarted) / 1000 - sweepSeconds;
const duringReclaim = reclaimSeconds > 0 ? (counted("invocations") - beforeReclaim) / reclaimSeconds : Number.NaN;
await sleep(2000);
const sizeSwept = size();
const after = await chainRate(Math.min(5, seconds) * 1000);

await runtime.stop();
remove();
const pct = (a, b) => Math.round((a / b - 1) * 1000) / 10;
const n = (v) => Math.round(v).toLocaleString("en-US");
report({
  workload: "expiry",
  mode:
    `${n(instances)} instances (instance TTL) expire at once while the chain (${ids} ids, SQLite fsync${threaded ? " on a worker thread" : ""}) runs: ` +
    `chain ${n(withInstances)} msgs/s with the instances and no sweep, ${n(duringSweep)} during the sweep (${pct(duringSweep, withInstances)} %), ` +
    `${n(baseline)} before the instances existed; ` +
    `all gone in ${sweepSeconds.toFixed(1)} s (+${reclaimSeconds.toFixed(1)} s giving pages back); ` +
    `storage (db + WAL) ${sizeBefore.total} → ${sizeAfter.total} → ${sizeSwept.total} MiB, db file ${sizeBefore.db} → ${sizeAfter.db} → ${sizeSwept.db} MiB`,
  msgsPerSec: Math.round(duringSweep),
  chainBaseline: Math.round(baseline),
  chainDuringSweep: Math.round(duringSweep),
  chainDuringReclaim: Math.round(duringReclaim),
  chainWithInstances: Math.round(withInstances),
  chainAfter: Math.round(after),
  sweepCostPct: -pct(duringSweep, withInstances),
  costVersusEmptyPct: -pct(duringSweep, baseline),
  createSeconds: Number(createSeconds.toFixed(1)),
  sweepSeconds: Number(sweepSeconds.toFixed(1)),
  reclaimSeconds: Number(reclaimSeconds.toFixed(1)),
  storageMiB: { before: sizeBefore, after: sizeAfter, swept: sizeSwept },
  storageVsBeforePct: pct(sizeSwept.total, sizeBefore.total),
  peakRssMiB: peakRssMiB(),
});
