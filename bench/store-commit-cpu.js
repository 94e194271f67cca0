// CPU per commit of the embedded store, on the engine's thread (SqliteStore) or on its own
// (ThreadedSqliteStore), by thread: what handing each commit to the store's thread costs.
// Chain-style batches (consume the batch before's messages, write one state value and insert one
// message per unit), fsync on every commit, one commit at a time.
// With the shape `request-reply`, each unit is instead an awaited HTTP request answered before
// its commit: its ingress message (the body in an 8 KiB pool slab, as Fastify hands it over),
// consumed in the same batch, one state value and one reply, under a request id made as the
// checkout's ingress makes them (`newRequestId` of its runtime; random UUIDs where it has none).
// Usage: node bench/store-commit-cpu.js [direct|thread] [commits=1000] [units=45] [chain|request-reply]
//   [--root DIR: the store of another checkout, e.g. the commit before]
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const rootAt = process.argv.indexOf("--root");
const root = rootAt > 0 ? resolve(process.argv[rootAt + 1]) : resolve(import.meta.dirname, "..");
const positional = rootAt > 0 ? process.argv.slice(2, rootAt) : process.argv.slice(2);
const { SqliteStore, ThreadedSqliteStore } = await import(pathToFileURL(join(root, "packages/store-sqlite/dist/index.js")).href);
const idsModule = join(root, "packages/runtime/dist/engine/request-ids.js");
const newRequestId = existsSync(idsModule) ? (await import(pathToFileURL(idsModule).href)).newRequestId : randomUUID;
const threaded = positional[0] === "thread";
const commits = Number(positional[1] ?? 1000);
const units = Number(positional[2] ?? 45);
const shape = positional[3] ?? "chain";
if (!["chain", "request-reply"].includes(shape)) throw new Error(`the shape must be chain or request-reply, got ${shape}`);
const keyGroups = 128;

const dir = mkdtempSync(join(tmpdir(), "statefun-bench-commit-cpu-"));
const store = threaded ? new ThreadedSqliteStore({ dir, keyGroups }) : new SqliteStore({ dir, keyGroups });
await store.open();
const all = Array.from({ length: keyGroups }, (_, kg) => kg);
const fence = { owner: "bench", epochs: await store.acquire("bench", all) };
const targets = Array.from({ length: units }, (_, i) => ({ namespace: "bench", type: "chain", id: `chain-${i}` }));
const int = (n) => ({ typename: "io.statefun.types/int", value: new Uint8Array([8, n & 255]) });
const parts = { ingress: [], cancelTokens: [], egress: [], replies: [], deadLetters: [], replayed: [] };

/** CPU microseconds per thread of this process (Linux: /proc/self/task/TID/stat, in 10 ms ticks). */
function threadCpu() {
  const cpu = new Map();
  for (const tid of readdirSync("/proc/self/task")) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    cpu.set(Number(tid), (Number(fields[11]) + Number(fields[12])) * 10_000);
  }
  return cpu;
}

let previous = [];
const before = threadCpu();
const cpu0 = process.cpuUsage();
const started = performance.now();
for (let b = 0; b < commits; b++) {
  const first = await store.allocateSeqs(units);
  if (shape === "request-reply") {
    await store.commit(requestReplyBatch(first, b));
    continue;
  }
  const messages = targets.map((target, i) => ({ seq: first + i, keyGroup: i % keyGroups, target, argument: int(b) }));
  const state = targets.map((address, i) => ({ address, keyGroup: i % keyGroups, name: "count", value: int(b) }));
  const touchedKeyGroups = new Set(messages.map((m) => m.keyGroup));
  await store.commit({ ...parts, now: Date.now(), fence, touchedKeyGroups, consumed: previous.map((m) => m.seq), messages, state });
  previous = messages;
}
const wallMs = performance.now() - started;

/** `units` awaited requests, each to its own id, answered before their commit. */
function requestReplyBatch(first, b) {
  const ingress = [];
  const state = [];
  const replies = [];
  const touchedKeyGroups = new Set();
  for (let i = 0; i < units; i++) {
    const requestId = newRequestId();
    const keyGroup = (b * units + i) % keyGroups;
    const target = { namespace: "bench", type: "counter", id: `c-${(b * units + i) % 1000}` };
    const body = Buffer.concat([Buffer.from([8]), Buffer.from([1])]);
    const caller = { namespace: "statefun.ingress", type: "http", id: requestId };
    ingress.push({ seq: first + i, keyGroup, target, caller, argument: { typename: "io.statefun.types/int", value: body }, requestId });
    state.push({ address: target, keyGroup, name: "count", value: int(b) });
    replies.push({ requestId, argument: int(b) });
    touchedKeyGroups.add(keyGroup);
  }
  const consumed = ingress.map((m) => m.seq);
  return { ...parts, now: Date.now(), fence, touchedKeyGroups, ingress, consumed, messages: [], state, replies };
}
const cpu = process.cpuUsage(cpu0);
const after = threadCpu();
await store.close();
rmSync(dir, { recursive: true, force: true });
// The main thread first, then the others, busiest first (the store's thread, then V8's helpers).
const perThread = [...after]
  .map(([tid, us]) => [tid, (us - (before.get(tid) ?? 0)) / commits])
  .filter(([tid, us]) => tid === process.pid || us > 0)
  .sort((a, b) => (a[0] === process.pid ? -1 : b[0] === process.pid ? 1 : b[1] - a[1]))
  .map(([, us]) => Math.round(us));
console.log(
  `store commit CPU, ${threaded ? "ThreadedSqliteStore" : "SqliteStore"}, ${commits} commits of ${units} ${shape} units: ` +
    `${Math.round((wallMs * 1000) / commits)} µs wall, ${Math.round((cpu.user + cpu.system) / commits)} µs CPU per commit ` +
    `(by thread, main first: ${perThread.join(", ")})`,
);
