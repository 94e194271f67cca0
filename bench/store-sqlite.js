// The ceiling of the embedded store alone: group commits of chain-style operations (consume 1
// message, write 1 state value of 4 bytes, insert 1 new message), fsync on every commit.
// Usage: node bench/store-sqlite.js [commits=100] [batchSize=5000] [synchronous=full]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../packages/store-sqlite/dist/index.js";

const commits = Number(process.argv[2] ?? 100);
const batchSize = Number(process.argv[3] ?? 5000);
const synchronous = process.argv[4] ?? "full";
const keyGroups = 128;

const dir = mkdtempSync(join(tmpdir(), "statefun-bench-store-"));
const store = new SqliteStore({ dir, keyGroups, synchronous });
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
rmSync(dir, { recursive: true, force: true });
if (stats.messages !== batchSize) throw new Error(`expected ${batchSize} pending messages, found ${stats.messages}`);

latencies.sort((a, b) => a - b);
const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(1);
const rate = (seconds) => Math.round((commits * batchSize) / seconds).toLocaleString("en-US");
console.log(
  `store-sqlite chain, ${commits} commits of ${batchSize}, synchronous=${synchronous}: ` +
    `${rate(inCommit)} msgs/s in commit (${rate(wall)} with batch building), ` +
    `commit p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`,
);
