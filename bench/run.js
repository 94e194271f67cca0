// `npm run bench`: runs every workload in its own process (`node bench/workloads/NAME.js`),
// collects the JSON line(s) each prints, and prints one markdown table, the machine it ran
// on and the command. Rows compared with a store ceiling (bench/store-*.js, run in the same run) give
// their share of it; every row gives its CPU per message.
//
// Usage: node bench/run.js [--only NAME[,NAME…]] [--quick] [--seconds N]
//   --only     run only these rows (the names of RUNS below: chain, chain-engine-thread,
//              chain-million, backlog, request-reply, remote-chain, remote-chain-python, expiry,
//              chain-postgres, chain-postgres-2, failover, kafka-exactly-once, kafka-at-least-once)
//   --quick    shorter runs (--seconds 3 unless --seconds is given)
//   --seconds  measured seconds per workload, passed through to each workload
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Each workload: a file of bench/workloads/ and the arguments it runs with. */
const RUNS = {
  // The embedded store as `statefun run` has it by default: its SQLite work on a thread of its own.
  chain: ["chain", "--thread"],
  // The same store on the engine's thread (`STATEFUN_SQLITE_THREAD=0`).
  "chain-engine-thread": ["chain"],
  // A million live instances: peak RSS against the address cache's budget (default 256 MiB), the
  // store on its thread as `statefun run` has it.
  "chain-million": ["chain", "--thread", "--ids", "1000000", "--all-live", "--memory", String(512 * 2 ** 20)],
  // RSS while 10 million messages wait in the store and drain, under the default memory budget,
  // the store on its thread as `statefun run` has it.
  backlog: ["backlog", "--thread"],
  "request-reply": ["request-reply"],
  // Remote functions over HTTP, the store on its thread as `statefun run` has it.
  "remote-chain": ["remote-chain", "--thread"],
  "remote-chain-python": ["remote-chain", "--thread", "--python"],
  // Expiry while the chain runs, the store on the engine's thread. On its thread the sweeper's reads
  // and commits wait behind the chain's commits: 100,000 instances took about three times as long to
  // go (`node bench/workloads/expiry.js --instances 100000 --thread`), a million would take minutes more.
  expiry: ["expiry"],
  "chain-postgres": ["chain-postgres", "--workers", "1"],
  "chain-postgres-2": ["chain-postgres", "--workers", "2"],
  failover: ["failover"],
  "kafka-exactly-once": ["kafka", "--semantic", "exactly-once"],
  "kafka-at-least-once": ["kafka", "--semantic", "at-least-once"],
};
const WORKLOADS = Object.keys(RUNS);
/**
 * The store ceilings (the store alone, group-committing chain-style batches: bench/store-*.js),
 * measured in the same run just before the first row that is compared with them, and the rows
 * compared with each: a row's share of its ceiling is comparable across machines.
 */
const CEILINGS = {
  sqlite: { file: "store-sqlite.js", args: [], rows: ["chain", "chain-engine-thread", "remote-chain", "remote-chain-python"] },
  postgres: { file: "store-postgres.js", args: [], rows: ["chain-postgres"] },
};
const ceilingOf = (name) => Object.keys(CEILINGS).find((c) => CEILINGS[c].rows.includes(name));
const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);

function option(name) {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const value = argv[i + 1];
  if (value === undefined || value.startsWith("--")) fail(`--${name} needs a value`);
  return value;
}

function fail(message) {
  process.stderr.write(`bench: ${message}\nusage: node bench/run.js [--only NAME[,NAME…]] [--quick] [--seconds N]\n`);
  process.exit(2);
}

const known = new Set(["--only", "--quick", "--seconds"]);
for (let i = 0; i < argv.length; i++) {
  if (!known.has(argv[i])) fail(`unknown argument ${JSON.stringify(argv[i])}`);
  if (argv[i] !== "--quick") i++;
}
const only = option("only")?.split(",").filter(Boolean);
for (const name of only ?? [])
  if (!WORKLOADS.includes(name)) fail(`unknown workload ${JSON.stringify(name)}: one of ${WORKLOADS.join(", ")}`);
const seconds = option("seconds") ?? (argv.includes("--quick") ? "3" : undefined);
if (seconds !== undefined && !(Number(seconds) > 0)) fail(`--seconds must be a positive number, got ${JSON.stringify(seconds)}`);

/** Runs one workload; resolves with the rows it printed (stderr goes straight through). */
function runWorkload(name) {
  const [file, ...extra] = RUNS[name];
  const args = [join(here, "workloads", `${file}.js`), ...extra, ...(seconds === undefined ? [] : ["--seconds", seconds])];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk) => {
    out += chunk;
  });
  return new Promise((done) => {
    child.on("exit", (code, signal) => {
      const rows = [];
      for (const line of out.split("\n")) {
        if (!line.startsWith("{")) continue;
        try {
          rows.push(JSON.parse(line));
        } catch {
          // not a result line
        }
      }
      done({ name, rows, failed: code !== 0 ? `exited with ${code ?? signal}` : rows.length === 0 ? "printed no result" : undefined });
    });
  });
}

/** Runs one ceiling; resolves with its msgs/s in commit (or the reason it failed). */
function runCeiling(name) {
  const { file, args } = CEILINGS[name];
  const child = spawn(process.execPath, [join(here, file), ...args], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk) => {
    out += chunk;
  });
  return new Promise((done) => {
    child.on("exit", (code, signal) => {
      const rate = /([\d,]+) msgs\/s in commit/.exec(out)?.[1];
      const p50 = /commit p50 ([\d.]+) ms, p99 ([\d.]+) ms/.exec(out);
      done({
        name,
        line: out.trim(),
        msgsPerSec: rate === undefined ? undefined : Number(rate.replaceAll(",", "")),
        p50ms: p50 ? Number(p50[1]) : undefined,
        p99ms: p50 ? Number(p50[2]) : undefined,
        failed: code !== 0 ? `exited with ${code ?? signal}` : rate === undefined ? "printed no rate" : undefined,
      });
    });
  });
}

const results = [];
const ceilings = new Map();
for (const name of only ?? WORKLOADS) {
  const ceiling = ceilingOf(name);
  if (ceiling !== undefined && !ceilings.has(ceiling)) ceilings.set(ceiling, await runCeiling(ceiling));
  results.push(await runWorkload(name));
}

const number = (v, digits = 0) =>
  typeof v === "number" && Number.isFinite(v)
    ? v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : "–";
const ms = (v) => (typeof v === "number" && v < 10 ? number(v, 2) : number(v, 1));

const share = (rate, ceiling) =>
  ceiling?.msgsPerSec > 0 && typeof rate === "number" ? `${Math.round((rate / ceiling.msgsPerSec) * 100)} %` : "–";
const lines = [
  "| workload | mode | msgs/s | share of store ceiling | CPU µs/msg | of it main thread | p50 ms | p99 ms | peak RSS MiB |",
  "|---|---|--:|--:|--:|--:|--:|--:|--:|",
];
for (const { name, rows, failed } of results) {
  const ceiling = ceilings.get(ceilingOf(name));
  for (const r of rows) {
    const mode = [
      r.mode,
      r.latency && `latency: ${r.latency}`,
      r.errors !== undefined && `errors: ${number(r.errors)}`,
      r.commitsPerRequest !== undefined && `commits/request: ${number(r.commitsPerRequest, 2)}`,
    ]
      .filter(Boolean)
      .join("; ");
    lines.push(
      `| ${r.workload} | ${mode} | ${number(r.msgsPerSec)} | ${share(r.msgsPerSec, ceiling)} | ${number(r.cpuMicrosPerMsg, 1)} | ` +
        `${number(r.mainThreadCpuMicrosPerMsg, 1)} | ` +
        `${ms(r.p50ms)} | ${ms(r.p99ms)} | ${number(r.peakRssMiB)} |`,
    );
  }
  if (failed) lines.push(`| ${name} | FAILED: ${failed} | – | – | – | – | – | – | – |`);
}
if (ceilings.size > 0) {
  lines.push("", "| store ceiling | msgs/s in commit | commit p50 ms | commit p99 ms |", "|---|--:|--:|--:|");
  for (const c of ceilings.values()) {
    lines.push(
      c.failed
        ? `| ${CEILINGS[c.name].file} | FAILED: ${c.failed} | – | – |`
        : `| \`node bench/${CEILINGS[c.name].file}\` | ${number(c.msgsPerSec)} | ${ms(c.p50ms)} | ${ms(c.p99ms)} |`,
    );
  }
}

const cpus = os.cpus();
let distro = "";
try {
  distro = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? "";
} catch {
  // not Linux, or no os-release
}
const command = `node bench/run.js${argv.length ? ` ${argv.join(" ")}` : ""}`;
lines.push(
  "",
  `Machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? "unknown CPU"}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ` +
    `Node ${process.version}, ${os.type()} ${os.release()} ${os.arch()}${distro ? ` (${distro})` : ""}, ${new Date().toISOString()}`,
  `Command: ${process.env.npm_lifecycle_event === "bench" ? `\`npm run bench${argv.length ? ` -- ${argv.join(" ")}` : ""}\` (build, then \`${command}\`)` : `\`${command}\``}`,
);
process.stdout.write(`${lines.join("\n")}\n`);
if (results.some((r) => r.failed) || [...ceilings.values()].some((c) => c.failed)) process.exitCode = 1;
