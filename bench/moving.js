// Export, import and migration rates (issue 15): a SQLite store of N instances × 10 state values
// and M waiting messages is exported to a file, imported into PostgreSQL, exported again and
// imported into SQLite; then migrated SQLite → PostgreSQL directly. Each step runs in a process of
// its own, which reports its peak RSS: it stays flat as the store grows (everything streams).
// Usage: node bench/moving.js [instances=100000] [messages=100000] [url|-]
// Without a URL (or STATEFUN_BENCH_POSTGRES_URL), it starts a throwaway server with
// scripts/postgres/cluster.sh (data on the temp directory, fsync on) and removes it afterwards.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const dist = (path) => join(here, "..", "packages", path);

if (process.argv[2] === "--step") {
  // One step, in this process: prints {seconds, records, rssMiB}.
  const [, , , step, ...args] = process.argv;
  const started = process.hrtime.bigint();
  const records = await runStep(step, args);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(`${JSON.stringify({ seconds, records, rssMiB: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
  process.exit(0);
}

async function runStep(step, args) {
  const ops = await import(dist("server/dist/moving/operations.js"));
  const target = (text) => (text.startsWith("postgres") ? { kind: "postgres", url: text } : { kind: "sqlite", dir: text });
  const total = (counts) => Object.values(counts).reduce((a, b) => a + b, 0);
  switch (step) {
    case "fill":
      return fill(args[0], Number(args[1]), Number(args[2]));
    case "export":
      return (await ops.exportStore({ store: target(args[0]), out: args[1] })).records;
    case "import":
      return total(await ops.importFile({ store: target(args[0]), file: args[1] }));
    case "migrate":
      return (await ops.migrate({ from: target(args[0]), to: target(args[1]) })).exported.records;
    default:
      throw new Error(`unknown step ${step}`);
  }
}

async function fill(dir, instances, messages) {
  const { SqliteStore } = await import(dist("store-sqlite/dist/index.js"));
  const keyGroups = 128;
  const store = new SqliteStore({ dir, keyGroups, synchronous: "normal" });
  await store.open();
  const fence = {
    owner: "bench",
    epochs: await store.acquire(
      "bench",
      Array.from({ length: keyGroups }, (_, i) => i),
    ),
  };
  const empty = {
    ingress: [],
    consumed: [],
    cancelTokens: [],
    messages: [],
    state: [],
    egress: [],
    replies: [],
    deadLetters: [],
    replayed: [],
  };
  const commit = (parts) => store.commit({ now: 1, fence, touchedKeyGroups: new Set(fence.epochs.keys()), ...empty, ...parts });
  const value = (i) => ({ typename: "io.statefun.types/int", value: new Uint8Array([9, i & 255, (i >> 8) & 255, 0, 0]) });
  for (let from = 0; from < instances; from += 500) {
    const state = [];
    for (let i = from; i < Math.min(instances, from + 500); i++) {
      const address = { namespace: "bench", type: "counter", id: `id-${i}` };
      for (let v = 0; v < 10; v++) state.push({ address, keyGroup: i % keyGroups, name: `value${v}`, value: value(i + v) });
    }
    await commit({ state });
  }
  for (let from = 0; from < messages; from += 5000) {
    const n = Math.min(5000, messages - from);
    const seq = await store.allocateSeqs(n);
    const batch = Array.from({ length: n }, (_, k) => ({
      seq: seq + k,
      keyGroup: (from + k) % keyGroups,
      target: { namespace: "bench", type: "counter", id: `id-${(from + k) % Math.max(1, instances)}` },
      argument: value(k),
    }));
    await commit({ messages: batch });
  }
  await store.close();
  return instances * 10 + messages;
}

const instances = Number(process.argv[2] ?? 100_000);
const messages = Number(process.argv[3] ?? 100_000);
const script = join(here, "..", "scripts", "postgres", "cluster.sh");
const clusterDir = join(tmpdir(), `statefun-bench-moving-pg-${process.pid}`);
let url = (process.argv[4] === "-" ? undefined : process.argv[4]) ?? process.env.STATEFUN_BENCH_POSTGRES_URL;
const own = url === undefined;
if (own) url = execFileSync("bash", [script, "start", clusterDir], { encoding: "utf8" }).trim();
const work = mkdtempSync(join(tmpdir(), "statefun-bench-moving-"));
process.once("exit", () => {
  rmSync(work, { recursive: true, force: true });
  if (own) execFileSync("bash", [script, "stop", clusterDir], { stdio: "ignore" });
});
const withSchema = (schema) => {
  const parsed = new URL(url);
  parsed.searchParams.set("schema", schema);
  return parsed.toString();
};
const [pgA, pgB] = [withSchema(`bench_moving_${process.pid}_a`), withSchema(`bench_moving_${process.pid}_b`)];

function step(name, ...args) {
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--step", name, ...args], { encoding: "utf8" });
  if (child.status !== 0) throw new Error(`${name} failed:\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split("\n").at(-1));
}

const rows = [];
const measure = (label, name, ...args) => {
  const result = step(name, ...args);
  rows.push({ label, ...result, rate: Math.round(result.records / result.seconds) });
  process.stderr.write(`${label}: ${result.records} records in ${result.seconds.toFixed(1)} s, peak RSS ${result.rssMiB} MiB\n`);
};

const a = join(work, "a");
step("fill", a, String(instances), String(messages));
measure("export SQLite → file", "export", a, join(work, "1.jsonl"));
const size = statSync(join(work, "1.jsonl")).size;
measure("import file → PostgreSQL", "import", pgA, join(work, "1.jsonl"));
measure("export PostgreSQL → file", "export", pgA, join(work, "2.jsonl"));
measure("import file → SQLite", "import", join(work, "b"), join(work, "2.jsonl"));
measure("migrate SQLite → PostgreSQL (with verification)", "migrate", a, pgB);
try {
  execFileSync(
    "psql",
    [url, "-c", `DROP SCHEMA bench_moving_${process.pid}_a CASCADE; DROP SCHEMA bench_moving_${process.pid}_b CASCADE`],
    {
      stdio: "ignore",
    },
  );
} catch {}

console.log(
  `\n${instances.toLocaleString("en")} instances × 10 values + ${messages.toLocaleString("en")} waiting messages (export file ${(size / 2 ** 20).toFixed(0)} MiB)\n`,
);
console.log("| step | records | seconds | records/s | peak RSS MiB |\n|---|--:|--:|--:|--:|");
for (const r of rows)
  console.log(
    `| ${r.label} | ${r.records.toLocaleString("en")} | ${r.seconds.toFixed(1)} | ${r.rate.toLocaleString("en")} | ${r.rssMiB} |`,
  );
