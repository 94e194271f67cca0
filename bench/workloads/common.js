// Shared helpers of the benchmark workloads: a metrics sink that records what the engine
// reports, percentiles, and the JSON line each workload prints for bench/run.js.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Records counters and samples; per-invocation latency only with `keepInvocationLatency` (it is one sample a message). */
export function recorder({ keepInvocationLatency = false } = {}) {
  const counters = new Map();
  const samples = new Map();
  return {
    count(name, by = 1) {
      counters.set(name, (counters.get(name) ?? 0) + by);
    },
    observe(name, value) {
      if (name === "invocation_latency_seconds" && !keepInvocationLatency) return;
      let list = samples.get(name);
      if (!list) {
        list = [];
        samples.set(name, list);
      }
      list.push(value);
    },
    counter: (name) => counters.get(name) ?? 0,
    samples: (name) => samples.get(name) ?? [],
    reset() {
      counters.clear();
      samples.clear();
    },
  };
}

export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function tempDir(name) {
  const dir = mkdtempSync(join(tmpdir(), `statefun-bench-${name}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs this workload as `statefun run --memory BYTES` runs a worker: node started again with the
 * heap limit of that budget (`memoryPlan`), this process waiting for it and exiting with its code.
 * Returns only in the process that is to run the workload (the child, or when `memory` is undefined).
 */
export async function underMemoryBudget(memory, heapMiB) {
  if (memory === undefined || process.env.STATEFUN_HEAP_LIMIT_SET !== undefined) return;
  const child = spawn(process.execPath, [...process.execArgv, `--max-old-space-size=${heapMiB}`, ...process.argv.slice(1)], {
    stdio: "inherit",
    env: { ...process.env, STATEFUN_HEAP_LIMIT_SET: "bench" },
  });
  // A stopped bench (a timeout's SIGTERM, a Ctrl-C) stops the run too.
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
  const code = await new Promise((resolve) => child.on("exit", (status) => resolve(status ?? 1)));
  process.exit(code);
}

/** Peak resident set size of this process, in MiB. */
export const peakRssMiB = () => Math.round(process.resourceUsage().maxRSS / 1024);

export function report(row) {
  process.stdout.write(`${JSON.stringify(row)}\n`);
}

export function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : fallback;
}

/** CPU microseconds (user + system) used so far by process `pid` (all its threads): Linux's `/proc/PID/stat`; NaN elsewhere. */
export function processCpuMicros(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU microseconds (user + system) used by this process's main thread alone, the engine's:
 * Linux's per-thread counters (`/proc/self/task/PID/stat`, in clock ticks of 10 ms); NaN elsewhere.
 * With the store's work on a thread of its own, this is the share that bounds the engine.
 */
export function mainThreadCpuMicros() {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return Number.NaN;
  }
}
