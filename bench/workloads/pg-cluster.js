// Shared parts of the PostgreSQL benchmarks: a throwaway PostgreSQL server (or
// STATEFUN_BENCH_POSTGRES_URL), and workers as child processes (pg-worker.js) with a small
// request/answer protocol over IPC.
import { execFileSync, fork } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { processCpuMicros, sleep } from "./common.js";

const script = fileURLToPath(new URL("../../scripts/postgres/cluster.sh", import.meta.url));
const workerFile = fileURLToPath(new URL("./pg-worker.js", import.meta.url));

/**
 * A PostgreSQL URL with a schema of its own; `stop()` removes a server started here, whose CPU time
 * so far (all its processes, in microseconds) `cpuMicros()` gives (NaN for a server given by URL).
 */
export function postgres(name) {
  const given = process.env.STATEFUN_BENCH_POSTGRES_URL;
  const dir = join(tmpdir(), `statefun-bench-${name}-${process.pid}`);
  const base = given ?? execFileSync("bash", [script, "start", dir], { encoding: "utf8" }).trim();
  const url = new URL(base);
  url.searchParams.set("schema", `bench_${name.replace(/[^a-z0-9]/g, "_")}_${process.pid}`);
  let stopped = false;
  const stop = () => {
    if (stopped || given !== undefined) return;
    stopped = true;
    execFileSync("bash", [script, "stop", dir], { stdio: "ignore" });
  };
  process.once("exit", stop);
  const cpuMicros = () => (given === undefined ? serverCpuMicros(join(dir, "data")) : Number.NaN);
  return { url: url.toString(), stop, cpuMicros };
}

/** CPU microseconds used so far by the server of data directory `data`: its postmaster and the processes it started (Linux's /proc). */
export function serverCpuMicros(data) {
  const postmaster = Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]);
  let total = processCpuMicros(postmaster);
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === postmaster) total += processCpuMicros(Number(entry));
    } catch {
      // ended meanwhile
    }
  }
  return total;
}

/** A worker process. */
export class BenchWorker {
  #next = 0;
  #waiting = new Map();

  constructor(url, name, ids) {
    this.name = name;
    this.child = fork(workerFile, [url, name, String(ids)], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
    this.ready = new Promise((resolve, reject) => {
      this.child.once("exit", (code, signal) => reject(new Error(`${name} exited (${code ?? signal}) before it was ready`)));
      this.child.on("message", (m) => {
        if (m.ready) resolve();
        const waiter = this.#waiting.get(m.id);
        if (waiter === undefined) return;
        this.#waiting.delete(m.id);
        if (m.error) waiter.reject(new Error(`${name}: ${m.error}`));
        else waiter.resolve(m.ok);
      });
    });
    this.exited = new Promise((resolve) => this.child.once("exit", resolve));
  }

  ask(cmd) {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.child.send({ id, cmd });
    });
  }

  kill() {
    this.child.kill("SIGKILL");
    return this.exited;
  }

  async stop() {
    // A killed worker has no channel left to ask on (sending would throw and hide the error that ended the run).
    if (this.child.connected) await this.ask("stop").catch(() => {});
    await this.exited;
  }
}

/**
 * Starts `count` workers named bench-0, bench-1, … one after the other (the first creates the
 * schema), pushing each into `workers` as it starts (so the caller stops them even when a later
 * one fails), then waits until they hold the key groups evenly.
 */
export async function startWorkers(url, count, ids, workers) {
  for (let i = 0; i < count; i++) {
    const worker = new BenchWorker(url, `bench-${i}`, ids);
    workers.push(worker);
    await worker.ready;
  }
  await settled(workers);
}

/** Waits until the workers hold all 128 key groups evenly between them. */
export async function settled(workers, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const owned = (await Promise.all(workers.map((w) => w.ask("status")))).map((s) => s.owned);
    if (owned.reduce((a, b) => a + b, 0) === 128 && Math.max(...owned) - Math.min(...owned) <= 1) return owned;
    if (Date.now() > deadline) throw new Error(`key groups not settled after ${timeoutMs} ms: ${owned.join(", ")}`);
    await sleep(100);
  }
}
