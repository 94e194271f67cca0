// The ceiling of the PostgreSQL store alone: group commits of chain-style operations (consume 1
// message, write 1 state value, insert 1 new message), each a transaction with synchronous_commit
// on, checking the fence of the worker's key groups (all 128 for one worker). The rows are those
// of bench/workloads/chain-postgres.js (its function bench/counter, its ids, a message's caller,
// the state value `hops`, values as the SDK's Types.int writes them); 5,000 messages a commit is
// what its 10,000 chains commit at a time (the committer's two halves).
// With several workers (each a store with its own pool, on its share of the key groups), they
// commit at once: their commits are not serialized by the store (positions are transaction ids),
// only briefly by PostgreSQL's NOTIFY queue at commit.
// Usage: node bench/store-postgres.js [commits=100] [batchSize=5000] [url|-] [workers=1]
// Without a URL (or STATEFUN_BENCH_POSTGRES_URL), it starts a throwaway server with
// scripts/postgres/cluster.sh (data on the temp directory, fsync on) and removes it afterwards.
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { keyGroupOf } from "../packages/protocol/dist/index.js";
import { Types } from "../packages/sdk/dist/index.js";
import { PostgresStore } from "../packages/store-postgres/dist/index.js";
import { serverCpuMicros } from "./workloads/pg-cluster.js";

const commits = Number(process.argv[2] ?? 100);
const batchSize = Number(process.argv[3] ?? 5000);
const keyGroups = 128;
const script = fileURLToPath(new URL("../scripts/postgres/cluster.sh", import.meta.url));
const clusterDir = join(tmpdir(), `statefun-bench-pg-${process.pid}`);
const workers = Number(process.argv[5] ?? 1);
if (!Number.isInteger(workers) || workers < 1 || workers > keyGroups) {
  throw new Error(`workers (the 4th argument) must be an integer from 1 to ${keyGroups}, got ${process.argv[5]}`);
}
let url = (process.argv[4] === "-" ? undefined : process.argv[4]) ?? process.env.STATEFUN_BENCH_POSTGRES_URL;
const own = url === undefined;
if (own) url = execFileSync("bash", [script, "start", clusterDir], { encoding: "utf8" }).trim();
const stopOwn = () => {
  if (own) execFileSync("bash", [script, "stop", clusterDir], { stdio: "ignore" });
};
process.once("exit", stopOwn);

const schema = `bench_${process.pid}`;
const stores = Array.from({ length: workers }, () => new PostgresStore({ url, schema, keyGroups }));
for (const store of stores) await store.open();
const int = (n) => ({ typename: Types.int.typename, value: Types.int.serialize(n) });
const parts = { ingress: [], cancelTokens: [], egress: [], replies: [], deadLetters: [], replayed: [] };
const perWorker = Math.ceil(batchSize / workers);
const latencies = [];
let inCommit = 0;

/** Worker `w`: chains on its key groups; batch `b` consumes the previous batch's messages, writes each chain's state, sends each chain's next message. */
async function work(w) {
  const store = stores[w];
  const mine = Array.from({ length: keyGroups }, (_, kg) => kg).filter((kg) => kg % workers === w);
  const fence = { owner: `bench-${w}`, epochs: await store.acquire(`bench-${w}`, mine) };
  const touchedKeyGroups = new Set(mine);
  // As the chain's: instance i of bench/counter writes its state "hops"; the message to it comes from instance i - 1.
  const targets = Array.from({ length: perWorker }, (_, i) => ({ namespace: "bench", type: "counter", id: String(w * perWorker + i) }));
  const keyGroupOfTarget = targets.map((t, i) => (workers === 1 ? keyGroupOf(t.id, keyGroups) : mine[i % mine.length]));
  let previous = [];
  for (let b = 0; b <= commits; b++) {
    const first = await store.allocateSeqs(perWorker);
    const messages = targets.map((target, i) => ({
      seq: first + i,
      keyGroup: keyGroupOfTarget[i],
      target,
      caller: targets[(i + perWorker - 1) % perWorker],
      argument: int(b),
    }));
    const state = targets.map((address, i) => ({ address, keyGroup: keyGroupOfTarget[i], name: "hops", value: int(b) }));
    const batch = { ...parts, now: Date.now(), fence, touchedKeyGroups, consumed: previous.map((m) => m.seq), messages, state };
    const t0 = process.hrtime.bigint();
    await store.commit(batch);
    const ns = Number(process.hrtime.bigint() - t0);
    if (b > 0) {
      latencies.push(ns / 1e6);
      if (w === 0) inCommit += ns / 1e9;
    }
    previous = messages;
  }
}

const started = process.hrtime.bigint();
const serverBefore = own ? serverCpuMicros(join(clusterDir, "data")) : Number.NaN;
const cpuBefore = process.cpuUsage();
await Promise.all(stores.map((_, w) => work(w)));
const wall = Number(process.hrtime.bigint() - started) / 1e9;
const cpu = process.cpuUsage(cpuBefore);
const serverCpu = own ? serverCpuMicros(join(clusterDir, "data")) - serverBefore : Number.NaN;
const stats = await stores[0].stats();
for (const store of stores) await store.close();
if (!own) {
  const { default: pg } = await import("pg");
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
}
if (stats.messages !== perWorker * workers) throw new Error(`expected ${perWorker * workers} pending messages, found ${stats.messages}`);

latencies.sort((a, b) => a - b);
// Over every commit, the first (b = 0) too.
const perMessage = (micros) => (Number.isNaN(micros) ? "–" : (micros / ((commits + 1) * perWorker * workers)).toFixed(2));
const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(1);
const rate = (seconds, n = workers) => Math.round((commits * perWorker * n) / seconds).toLocaleString("en-US");
const who = workers === 1 ? "" : `, ${workers} workers committing at once (${perWorker} each)`;
console.log(
  `store-postgres chain, ${commits} commits of ${batchSize}${who}, synchronous_commit=on: ` +
    `${rate(inCommit, 1)} msgs/s in commit${workers === 1 ? "" : " (worker 0)"} (${rate(wall)} with batch building and allocation), ` +
    `commit p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB, ` +
    `CPU µs/msg: this process ${perMessage(cpu.user + cpu.system)}, PostgreSQL server ${perMessage(serverCpu)}`,
);
