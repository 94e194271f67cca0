// Request-reply over HTTP: a real worker (`statefun run bench/workloads/counter-module.js`,
// embedded SQLite with fsync) in its own process, and this process as the load generator.
// Every request is `POST /bench/counter/{id}?await=5s` with an int body of 1; the function
// adds it to the instance's count and replies with the new count, so the answer to the k-th
// request to an id is k: each reply is checked (200, int type, a count not seen before for
// that id and not above the requests sent to it) and every failure is counted.
//
//   A. open loop: a fixed 1,000 requests/s over 1,000 ids; latency from the time each request
//      was scheduled, so a slow worker cannot lower the offered rate (no coordinated omission).
//      The ids are new to the worker (the warm-up uses others): the first request to each, about
//      one in ten, starts its instance cold (a state load); `p99FirstPerIdMs` and `p99RepeatMs`
//      split the p99 between those and the rest.
//   B. saturation: 64 clients in a closed loop over the same number of ids; requests/s and latency.
//
// Options: --seconds N (per workload, default 10) --rate N (default 1000) --ids N (default 1000)
// --clients N (default 64) --warmup N (seconds, default 2) --profile DIR (run the worker under
// --cpu-prof, write its profiles to DIR, one per thread, and print their top self-time functions
// on stderr)
// --mode open|closed|both (default both) --client raw|http (default raw: the lean keep-alive client
// of raw-http.js; http: node's http.request with a keep-alive agent, the client before it, which
// cost the load generator about 45 µs per request) --root DIR (run the worker of another checkout,
// e.g. the commit before, under this same load generator; default this one).
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Types } from "../../packages/sdk/dist/index.js";
import { arg, percentile, report, tempDir } from "./common.js";
import { RawHttpPool } from "./raw-http.js";

const seconds = arg("seconds", 10);
const rate = arg("rate", 1000);
const ids = arg("ids", 1000);
const clients = arg("clients", 64);
const warmup = arg("warmup", 2);
const profileDir = stringArg("profile");
const only = stringArg("mode") ?? "both"; // open | closed | both
if (!["open", "closed", "both"].includes(only)) throw new Error(`--mode must be open, closed or both, got ${only}`);
const clientKind = stringArg("client") ?? "raw"; // raw | http
if (!["raw", "http"].includes(clientKind)) throw new Error(`--client must be raw or http, got ${clientKind}`);

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** The checkout whose worker runs (its CLI and its copy of counter-module.js). */
const workerRoot = resolve(stringArg("root") ?? root);
const CONTENT_TYPE = `application/vnd.${Types.int.typename}`;
const BODY = Buffer.from(Types.int.serialize(1));
const REQUEST_TIMEOUT_MS = 10_000;

const { dir, remove } = tempDir("request-reply");
const worker = await startWorker();
// One keep-alive agent per workload, warmed up first, so the measured requests find their
// connections open as a long-running client's would (new ones still open if the worker falls behind).
const openAgent = newAgent(1024);
const closedAgent = newAgent(clients);
try {
  if (warmup > 0) warnOnErrors("open-loop warm-up", (await openLoopRun(openAgent, "wa", rate, Math.round(rate * warmup))).check);
  if (only !== "closed") report(await openLoop());
  if (only !== "open") {
    if (warmup > 0) warnOnErrors("closed-loop warm-up", (await closedLoopRun(closedAgent, "wb", Math.min(1, warmup))).check);
    report(await closedLoop());
  }
} finally {
  openAgent.destroy();
  closedAgent.destroy();
  await worker.stop();
  remove();
}
if (profileDir !== undefined) summariseProfile(profileDir);

// --- the worker --------------------------------------------------------------------------

async function startWorker() {
  const node = profileDir === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", resolve(profileDir)];
  const cli = join(workerRoot, "packages/server/dist/cli/main.js");
  const module = join(workerRoot, "bench/workloads/counter-module.js");
  const ports = ["--admin-port", "0", "--ingress-port", "0", "--egress-port", "0"];
  const child = spawn(process.execPath, [...node, cli, "run", module, "--data", dir, ...ports], {
    env: { ...process.env, STATEFUN_LOG_LEVEL: process.env.STATEFUN_LOG_LEVEL ?? "warn" },
    stdio: ["ignore", "pipe", "pipe", "ipc"], // IPC: counter-module.js answers probes (event-loop delay, GC)
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise((done) => child.once("exit", (code, signal) => done({ code, signal })));
  const urls = await new Promise((done, fail) => {
    let out = "";
    const found = {};
    child.stdout.on("data", (chunk) => {
      out += chunk;
      for (const m of out.matchAll(/^(\w+) listening on (http:\/\/\S+)$/gm)) found[m[1]] = m[2];
      if (found.ingress && found.admin) done(found);
    });
    exited.then(({ code, signal }) => fail(new Error(`the worker exited (${code ?? signal}) before listening:\n${stderr}`)));
  });
  return {
    pid: child.pid,
    /** Asks the worker's counter-module.js probe to `reset` or `read` its event-loop and GC measurements. */
    probe(kind) {
      return new Promise((done) => {
        const onMessage = (message) => {
          if (message?.probe !== kind) return;
          child.off("message", onMessage);
          done(message);
        };
        child.on("message", onMessage);
        exited.then(() => done({})); // a dead worker answers nothing
        if (child.connected) child.send({ probe: kind });
      });
    },
    ingress: new URL(urls.ingress),
    admin: new URL(urls.admin),
    async stop() {
      child.kill("SIGTERM");
      const { code, signal } = await exited;
      if (code !== 0) process.stderr.write(`request-reply: the worker exited with ${code ?? signal}\n${stderr}\n`);
    },
  };
}

/** The worker's peak resident set size (VmHWM) in MiB. */
function workerPeakRssMiB() {
  const status = readFileSync(`/proc/${worker.pid}/status`, "utf8");
  const kb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]);
  return Math.round(kb / 1024);
}

/** Resets the worker's VmHWM to its current RSS (Linux `clear_refs` 5), so each workload reports its own peak. */
function resetWorkerPeakRss() {
  try {
    writeFileSync(`/proc/${worker.pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** CPU seconds (user + system) the worker has used. */
function workerCpuSeconds() {
  const stat = readFileSync(`/proc/${worker.pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/** CPU seconds per thread of the worker (by thread id). */
function workerThreadCpuSeconds() {
  const out = new Map();
  for (const tid of readdirSync(`/proc/${worker.pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${worker.pid}/task/${tid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(Number(tid), (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

/** Jiffies of the whole machine from /proc/stat: busy (user+nice+system+irq+softirq), steal, total. */
function machineCpu() {
  const [, ...fields] = readFileSync("/proc/stat", "utf8").split("\n", 1)[0].trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.map(Number);
  return { busy: user + nice + system + irq + softirq, iowait, steal, total: user + nice + system + idle + iowait + irq + softirq + steal };
}

/** Group-commit counters from the worker's Prometheus endpoint. */
async function commitStats() {
  const text = await (await fetch(new URL("/metrics", worker.admin))).text();
  const value = (name) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? Number.NaN);
  return {
    within5ms: value('statefun_commit_latency_seconds_bucket\\{le="0.005"\\}'),
    commits: value("statefun_commit_batch_size_count"),
    units: value("statefun_commit_batch_size_sum"),
    commitSeconds: value("statefun_commit_latency_seconds_sum"),
  };
}

/** What a measured stretch of load did to the worker. */
async function measureWorker(run) {
  const resetOk = resetWorkerPeakRss();
  await worker.probe("reset");
  const cpu0 = workerCpuSeconds();
  const threads0 = workerThreadCpuSeconds();
  const machine0 = machineCpu();
  const own0 = process.cpuUsage();
  const stats0 = await commitStats();
  const started = performance.now();
  const result = await run();
  const elapsed = (performance.now() - started) / 1000;
  const stats1 = await commitStats();
  const { probe: _, ...inside } = await worker.probe("read");
  const own = process.cpuUsage(own0);
  const machine1 = machineCpu();
  const machineShare = (field) => Math.round(((machine1[field] - machine0[field]) / (machine1.total - machine0.total)) * 100);
  const commits = stats1.commits - stats0.commits;
  const workerCpuSeconds1 = workerCpuSeconds();
  const threads1 = workerThreadCpuSeconds();
  const answered = result.check.ok;
  // Per thread of the worker: the main (engine) thread first, then the others, busiest first (the store's, when it has one).
  const perThread = [...threads1]
    .map(([tid, s]) => [tid, s - (threads0.get(tid) ?? 0)])
    .sort((a, b) => (a[0] === worker.pid ? -1 : b[0] === worker.pid ? 1 : b[1] - a[1]))
    .map(([, s]) => round((s * 1e6) / Math.max(1, answered), 1));
  return {
    result,
    worker: {
      // The worker's CPU (all its threads) per request answered, and its durable commits per request.
      cpuMicrosPerMsg: round(((workerCpuSeconds1 - cpu0) * 1e6) / Math.max(1, answered), 1),
      // The worker's main thread first, then its other threads, busiest first (the store's, when it has one).
      threadCpuMicrosPerMsg: perThread.slice(0, 4),
      commitsPerRequest: round(commits / Math.max(1, answered), 3),
      peakRssMiB: workerPeakRssMiB(),
      peakRssScope: resetOk ? "workload" : "process lifetime",
      workerCpuPct: Math.round(((workerCpuSeconds1 - cpu0) / elapsed) * 100),
      loadgenCpuPct: Math.round(((own.user + own.system) / 1e6 / elapsed) * 100),
      // Of all cores together: more than worker + load generator means someone else was running.
      machineBusyPct: machineShare("busy"),
      machineIowaitPct: machineShare("iowait"),
      machineStealPct: machineShare("steal"),
      commitsPerSec: Math.round(commits / elapsed),
      meanCommitBatch: round((stats1.units - stats0.units) / commits, 1),
      meanCommitMs: round(((stats1.commitSeconds - stats0.commitSeconds) / commits) * 1000, 2),
      commitsOver5ms: commits - (stats1.within5ms - stats0.within5ms),
      ...Object.fromEntries(Object.entries(inside).map(([k, v]) => [`worker${k[0].toUpperCase()}${k.slice(1)}`, v])),
    },
  };
}

// --- the load ----------------------------------------------------------------------------

/** Checks every reply: the k-th request to an id must get back a count in 1..k that id has not had yet. */
function checker() {
  const sent = new Map();
  const seen = new Map();
  const errors = {};
  let ok = 0;
  const fail = (kind) => {
    errors[kind] = (errors[kind] ?? 0) + 1;
  };
  return {
    sent(id) {
      sent.set(id, (sent.get(id) ?? 0) + 1);
    },
    check(id, res) {
      if (res.error !== undefined) return fail(res.error);
      if (res.status !== 200) return fail(`status ${res.status}`);
      if (res.contentType !== CONTENT_TYPE) return fail(`content-type ${res.contentType}`);
      let n;
      try {
        n = Types.int.deserialize(res.body);
      } catch {
        return fail("undecodable reply");
      }
      let counts = seen.get(id);
      if (counts === undefined) {
        counts = new Set();
        seen.set(id, counts);
      }
      if (!Number.isInteger(n) || n < 1 || n > (sent.get(id) ?? 0)) return fail("reply out of range");
      if (counts.has(n)) return fail("duplicate reply");
      counts.add(n);
      ok++;
    },
    get ok() {
      return ok;
    },
    get errorCount() {
      return Object.values(errors).reduce((a, b) => a + b, 0);
    },
    errors,
  };
}

/** A keep-alive pool of at most `maxSockets` connections to the worker's ingress, of the chosen client. */
function newAgent(maxSockets) {
  if (clientKind === "http") return new http.Agent({ keepAlive: true, maxSockets });
  const pool = new RawHttpPool({
    host: worker.ingress.hostname,
    port: Number(worker.ingress.port),
    maxSockets,
    timeoutMs: REQUEST_TIMEOUT_MS,
  });
  const requests = new Map();
  const head = (id) =>
    `POST /bench/counter/${id}?await=5s HTTP/1.1\r\nHost: ${worker.ingress.host}\r\ncontent-type: ${CONTENT_TYPE}\r\ncontent-length: ${BODY.length}\r\n\r\n`;
  return {
    /** The same request `http.request` sends (its bytes built once per id). */
    post(id) {
      let request = requests.get(id);
      if (request === undefined) {
        request = Buffer.concat([Buffer.from(head(id), "latin1"), BODY]);
        requests.set(id, request);
      }
      return pool.send(request);
    },
    destroy: () => pool.destroy(),
  };
}

function post(agent, id) {
  if (clientKind === "raw") return agent.post(id);
  return new Promise((done) => {
    const req = http.request(
      {
        agent,
        host: worker.ingress.hostname,
        port: worker.ingress.port,
        method: "POST",
        path: `/bench/counter/${id}?await=5s`,
        headers: { "content-type": CONTENT_TYPE, "content-length": BODY.length },
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () =>
          done({ status: res.statusCode, contentType: res.headers["content-type"], body: new Uint8Array(Buffer.concat(chunks)) }),
        );
        res.on("error", (err) => done({ error: err.code ?? "response error" }));
      },
    );
    req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "client timeout" })));
    req.on("error", (err) => done({ error: err.code ?? err.message }));
    req.end(BODY);
  });
}

/** A deterministic stream of ids (so runs are comparable): `prefix-0` … `prefix-(ids-1)`, uniformly. */
function idStream(prefix, seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return `${prefix}-${Math.floor((s / 2 ** 32) * ids)}`;
  };
}

/**
 * Sends `total` requests at `perSecond`, each at its scheduled time whatever the state of
 * earlier ones; latency is measured from the scheduled time.
 */
async function openLoopRun(agent, prefix, perSecond, total) {
  const nextId = idStream(prefix, 42);
  const check = checker();
  const latencies = new Float64Array(total);
  const fromSend = new Float64Array(total);
  // Whether each request was the first to its id in this run (its instance starts cold: a state load).
  const first = new Uint8Array(total);
  const seen = new Set();
  const pending = [];
  let maxSendLagMs = 0;
  const start = performance.now() + 5;
  let i = 0;
  while (i < total) {
    const now = performance.now();
    while (i < total && start + (i * 1000) / perSecond <= now) {
      const scheduled = start + (i * 1000) / perSecond;
      maxSendLagMs = Math.max(maxSendLagMs, now - scheduled);
      const id = nextId();
      const index = i++;
      if (!seen.has(id)) {
        seen.add(id);
        first[index] = 1;
      }
      check.sent(id);
      pending.push(
        post(agent, id).then((res) => {
          const done = performance.now();
          latencies[index] = done - scheduled;
          fromSend[index] = done - now;
          check.check(id, res);
        }),
      );
    }
    if (i < total) await new Promise((r) => setTimeout(r, Math.max(0, start + (i * 1000) / perSecond - performance.now() - 0.5)));
  }
  const sentIn = (performance.now() - start) / 1000;
  await Promise.all(pending);
  return { check, latencies, fromSend, first, sentPerSec: Math.round(total / sentIn), maxSendLagMs: round(maxSendLagMs, 1) };
}

function warnOnErrors(what, check) {
  if (check.errorCount > 0) process.stderr.write(`request-reply: ${what} errors ${JSON.stringify(check.errors)}\n`);
}

/** `clients` clients, each sending its next request when the last one is answered, for `duration` seconds. */
async function closedLoopRun(agent, prefix, duration) {
  const check = checker();
  const latencies = [];
  const started = performance.now();
  const stopAt = started + duration * 1000;
  const client = async (c) => {
    const nextId = idStream(prefix, 7 + c);
    while (performance.now() < stopAt) {
      const id = nextId();
      check.sent(id);
      const sent = performance.now();
      const res = await post(agent, id);
      latencies.push(performance.now() - sent);
      check.check(id, res);
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
  return { check, latencies, elapsed: (performance.now() - started) / 1000 };
}

async function openLoop() {
  const total = Math.round(rate * seconds);
  const { result, worker: w } = await measureWorker(() => openLoopRun(openAgent, "a", rate, total));
  const { check, latencies } = result;
  return {
    workload: "request-reply",
    mode: `open loop ${rate.toLocaleString("en-US")} req/s, ${ids.toLocaleString("en-US")} ids, HTTP ?await, SQLite fsync`,
    msgsPerSec: result.sentPerSec,
    p50ms: round(percentile(latencies, 50), 2),
    p99ms: round(percentile(latencies, 99), 2),
    peakRssMiB: w.peakRssMiB,
    latency: "scheduled send to reply",
    requests: total,
    ok: check.ok,
    errors: check.errorCount,
    errorKinds: check.errors,
    p90ms: round(percentile(latencies, 90), 2),
    p999ms: round(percentile(latencies, 99.9), 2),
    maxMs: round(percentile(latencies, 100), 2),
    maxSendLagMs: result.maxSendLagMs,
    // From the moment the request was actually handed to the socket pool: without the load generator's own delays.
    p50FromSendMs: round(percentile(result.fromSend, 50), 2),
    p99FromSendMs: round(percentile(result.fromSend, 99), 2),
    // Split by whether the request was the first to its id (a cold instance: its state is loaded).
    firstPerId: result.first.reduce((n, f) => n + f, 0),
    p99FirstPerIdMs: p99Where(latencies, (i) => result.first[i] === 1),
    p99RepeatMs: p99Where(latencies, (i) => result.first[i] === 0),
    ...w,
  };
}

/** The p99 of the latencies whose index passes `keep`, in ms rounded to two decimals. */
function p99Where(latencies, keep) {
  return round(
    percentile(
      latencies.filter((_, i) => keep(i)),
      99,
    ),
    2,
  );
}

async function closedLoop() {
  const { result, worker: w } = await measureWorker(() => closedLoopRun(closedAgent, "b", seconds));
  const { check, latencies, elapsed } = result;
  return {
    workload: "request-reply",
    mode: `saturation, ${clients} clients closed loop, ${ids.toLocaleString("en-US")} ids, HTTP ?await, SQLite fsync`,
    msgsPerSec: Math.round(check.ok / elapsed),
    p50ms: round(percentile(latencies, 50), 2),
    p99ms: round(percentile(latencies, 99), 2),
    peakRssMiB: w.peakRssMiB,
    latency: "send to reply",
    requests: latencies.length,
    ok: check.ok,
    errors: check.errorCount,
    errorKinds: check.errors,
    p90ms: round(percentile(latencies, 90), 2),
    maxMs: round(percentile(latencies, 100), 2),
    ...w,
  };
}

// --- the profile -------------------------------------------------------------------------

/**
 * Prints, for each profile the worker wrote in `dir` (one per thread: its main thread first, then
 * the store's when it has one), the top self-time functions and self time by area.
 */
function summariseProfile(dirName) {
  const dirPath = resolve(dirName);
  // Node names each profile CPU.<date>.<time>.<pid>.<thread id>.<sequence>.cpuprofile.
  const files = readdirSync(dirPath).filter((f) => f.endsWith(".cpuprofile") && f.split(".")[3] === String(worker.pid));
  if (files.length === 0) return process.stderr.write(`request-reply: no .cpuprofile of the worker in ${dirPath}\n`);
  const thread = (f) => Number(f.split(".")[4]);
  for (const file of files.sort((a, b) => thread(a) - thread(b)))
    summariseOne(join(dirPath, file), thread(file) === 0 ? "main thread" : `thread ${thread(file)}`);
}

function summariseOne(path, label) {
  const profile = JSON.parse(readFileSync(path, "utf8"));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  }
  const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map();
  const byArea = new Map();
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const where = url.replace(`file://${root}/`, "");
    const key = `${functionName || "(anonymous)"} ${where ? `${where}:${lineNumber + 1}` : ""}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const area = areaOf(functionName, where);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
  }
  const pct = (us) => `${((us / totalUs) * 100).toFixed(1).padStart(5)}%`;
  const lines = [`profile of the ${label}, ${path}: ${(totalUs / 1e6).toFixed(1)} s sampled`, "self time by area:"];
  const areas = [...byArea].sort((a, b) => b[1] - a[1]);
  for (const [area, us] of areas.slice(0, 15)) lines.push(`  ${pct(us)}  ${area}`);
  lines.push(`  ${pct(areas.slice(15).reduce((sum, [, us]) => sum + us, 0))}  everything else`);
  lines.push("top self-time functions:");
  for (const [key, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 30)) lines.push(`  ${pct(us)}  ${key}`);
  process.stderr.write(`${lines.join("\n")}\n`);
}

function areaOf(functionName, where) {
  if (functionName === "(idle)") return "idle";
  if (functionName === "(garbage collector)") return "garbage collector";
  // Native work called from JS (SQLite, fsync, socket writes) is charged to the calling JS frame.
  if (functionName === "(program)") return "(program): V8 and native code not charged to a JS frame";
  if (where.startsWith("node:")) return `node internals (${where.split("/")[1] ?? where})`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where);
  if (pkg) return `dependency ${pkg[1]}`;
  const own = /^packages\/([^/]+)\//.exec(where);
  if (own) return `@statefun-ts/${own[1]}`;
  if (where === "") return `native/builtin (${functionName})`;
  return where;
}

function stringArg(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function round(value, digits) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
