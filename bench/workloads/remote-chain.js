// Remote chain: the chain workload with the counter served over HTTP on loopback by a function
// server in another process (our SDK, or the official Python SDK with --sdk python). Runtime and
// function server share the machine's cores. Reports committed messages per second, request
// latency (p50, p99), and how many messages one request carries on average (batching).
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { remoteBinding } from "../../packages/remote/dist/index.js";
import { Runtime } from "../../packages/runtime/dist/index.js";
import { Types } from "../../packages/sdk/dist/index.js";
import { SqliteStore, ThreadedSqliteStore } from "../../packages/store-sqlite/dist/index.js";
import { arg, mainThreadCpuMicros, peakRssMiB, percentile, recorder, report, sleep, tempDir } from "./common.js";

const python = process.argv.includes("--python");
// --thread: the store's SQLite work on a worker thread (ThreadedSqliteStore), as in the chain workload.
const threaded = process.argv.includes("--thread");
const ids = arg("ids", 1000);
const perId = arg("per-id", 10);
const seconds = arg("seconds", 10);
const warmup = arg("warmup", 2);

const root = fileURLToPath(new URL("../../", import.meta.url));
const pythonBin = `${root}.cache/interop/python/bin/python`;
if (python && !existsSync(pythonBin)) throw new Error(`run scripts/interop/setup-python.sh first (${pythonBin} is missing)`);
const child = python
  ? spawn(pythonBin, [`${root}bench/functions/counter.py`, "--ids", String(ids)], { stdio: ["ignore", "pipe", "inherit"] })
  : spawn(process.execPath, [`${root}bench/functions/counter.mjs`, "--ids", String(ids)], { stdio: ["ignore", "pipe", "inherit"] });
const url = await new Promise((resolve, reject) => {
  child.once("exit", (code) => reject(new Error(`function server exited with ${code}`)));
  createInterface({ input: child.stdout }).on("line", (line) => {
    const match = /listening on (\S+)/.exec(line);
    if (match) resolve(match[1]);
  });
});

/** CPU microseconds (user + system) of the function server's process so far (Linux: /proc, in 10 ms ticks; NaN elsewhere). */
const serverCpuMicros = () => {
  try {
    const stat = readFileSync(`/proc/${child.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return Number.NaN;
  }
};

const { dir, remove } = tempDir("remote-chain");
const metrics = recorder({ keepInvocationLatency: true });
const runtime = new Runtime({ store: threaded ? new ThreadedSqliteStore({ dir }) : new SqliteStore({ dir }), metrics });
const binding = remoteBinding({ functions: "bench/*", urlPathTemplate: `${url}/{function.name}` }, { specs: runtime.stateSpecs });
runtime.bind(binding);
try {
  await runtime.start();
  const seed = [];
  for (let i = 0; i < ids; i++) {
    for (let j = 0; j < perId; j++) {
      seed.push(
        runtime.ingest({
          target: { namespace: "bench", type: "counter", id: String(i) },
          argument: { typename: Types.int.typename, value: Types.int.serialize(0) },
        }),
      );
    }
  }
  await Promise.all(seed);
  await sleep(warmup * 1000);
  metrics.reset();
  const cpuBefore = process.cpuUsage();
  const serverCpuBefore = serverCpuMicros();
  const mainBefore = mainThreadCpuMicros();
  const started = performance.now();
  await sleep(seconds * 1000);
  const elapsed = (performance.now() - started) / 1000;
  // Messages handled by successful invocations (a remote request carries several).
  const handled = metrics.counter("invocations");
  const cpu = process.cpuUsage(cpuBefore);
  const serverCpu = serverCpuMicros() - serverCpuBefore;
  const mainCpu = mainThreadCpuMicros() - mainBefore;
  const requests = metrics.samples("invocation_latency_seconds").map((s) => s * 1000);
  report({
    workload: "remote chain",
    mode: `${python ? "Python SDK" : "our SDK"} over HTTP, SQLite fsync${threaded ? " on a worker thread" : ""}, ${ids} ids × ${perId} in flight`,
    msgsPerSec: Math.round(handled / elapsed),
    p50ms: percentile(requests, 50),
    p99ms: percentile(requests, 99),
    latency: "request",
    commitsPerSec: Math.round(metrics.samples("commit_batch_size").length / elapsed),
    commitP50ms: Number((percentile(metrics.samples("commit_latency_seconds"), 50) * 1000).toFixed(2)),
    messagesPerRequest: Number((metrics.counter("invocations") / Math.max(1, requests.length)).toFixed(1)),
    peakRssMiB: peakRssMiB(),
    // The engine's process only (the function server's CPU is its own process's).
    cpuMicrosPerMsg: Number(((cpu.user + cpu.system) / Math.max(1, handled)).toFixed(2)),
    // Of which the engine's thread (all of it with the store on the same thread).
    mainThreadCpuMicrosPerMsg: Number((mainCpu / Math.max(1, handled)).toFixed(2)),
    serverCpuMicrosPerMsg: Number((serverCpu / Math.max(1, handled)).toFixed(2)),
  });
} finally {
  await runtime.stop();
  await binding.close();
  child.kill();
  remove();
}
