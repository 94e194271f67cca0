// The ceiling of the PostgreSQL store alone, from one worker: group commits of chain-style
// operations (consume 1 message, write 1 state value of 4 bytes, insert 1 new message), each a
// transaction with synchronous_commit on, checking the fence of all 128 key groups.
// Usage: node bench/store-postgres.js [commits=100] [batchSize=5000] [url]
// Without a URL (or STATEFUN_BENCH_POSTGRES_URL), it starts a throwaway server with
// scripts/postgres/cluster.sh (data on the temp directory, fsync on) and removes it afterwards.
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PostgresStore } from "../packages/store-postgres/dist/index.js";

const commits = Number(process.argv[2] ?? 100);
const batchSize = Number(process.argv[3] ?? 5000);
const keyGroups = 128;
const script = fileURLToPath(new URL("../scripts/postgres/cluster.sh", import.meta.url));
const clusterDir = join(tmpdir(), `statefun-bench-pg-${process.pid}`);
let url = process.argv[4] ?? process.env.STATEFUN_BENCH_POSTGRES_URL;
const own = url === undefined;
if (own) url = execFileSync("bash", [script, "start", clusterDir], { encoding: "utf8" }).trim();
const stopOwn = () => {
  if (own) execFileSync("bash", [script, "stop", clusterDir], { stdio: "ignore" });
};
process.once("exit", stopOwn);

const schema = `bench_${process.pid}`;
const store = new PostgresStore({ url, schema, keyGroups });
await store.open();
const all = Array.from({ length: keyGroups }, (_, kg) => kg);
const fence = { owner: "bench", epochs: await store.acquire("bench", all) };
const touchedKeyGroups = new Set(all);
const targets = Array.from({ length: batchSize }, (_, i) => ({ namespace: "bench", type: "chain", id: `chain-${i}` }));
const int = (n) => ({ typename: "io.statefun.types/int", value: new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]) });
const parts = { ingress: [], cancelTokens: [], egress: [], replies: [], deadLetters: [], replayed: [] };

/** Batch `b`: consumes the previous batch's messages, writes each chain's state, sends each chain's next message. */
function chainBatch(b, first, previous) {
  const messages = targets.map((target, i) => ({ seq: first + i, keyGroup: i % keyGroups, target, argument: int(b) }));
  const state = targets.map((address, i) => ({ address, keyGroup: i % keyGroups, name: "count", value: int(b) }));
  return { ...parts, now: Date.now(), fence, touchedKeyGroups, consumed: previous.map((m) => m.seq), messages, state };
}

let previous = [];
let inCommit = 0;
const latencies = [];
const started = process.hrtime.bigint();
for (let b = 0; b <= commits; b++) {
  const batch = chainBatch(b, await store.allocateSeqs(batchSize), previous);
  const t0 = process.hrtime.bigint();
  await store.commit(batch);
  const ns = Number(process.hrtime.bigint() - t0);
  if (b > 0) {
    latencies.push(ns / 1e6);
    inCommit += ns / 1e9;
  }
  previous = batch.messages;
}
const wall = Number(process.hrtime.bigint() - started) / 1e9;
const stats = await store.stats();
await store.close();
if (!own) {
  const { default: pg } = await import("pg");
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
}
if (stats.messages !== batchSize) throw new Error(`expected ${batchSize} pending messages, found ${stats.messages}`);

latencies.sort((a, b) => a - b);
const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(1);
const rate = (seconds) => Math.round((commits * batchSize) / seconds).toLocaleString("en-US");
console.log(
  `store-postgres chain, ${commits} commits of ${batchSize}, synchronous_commit=on: ` +
    `${rate(inCommit)} msgs/s in commit (${rate(wall)} with batch building and allocation), ` +
    `commit p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`,
);
