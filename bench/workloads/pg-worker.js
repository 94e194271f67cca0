// One worker of the PostgreSQL benchmarks, run by pg-cluster.js with `fork`: a Runtime in
// cluster mode on a PostgresStore, with the chain function (as chain.js). It answers the
// parent's messages: status, seed, reset, report, mark, invoked, stop.
import { keyGroupOf } from "../../packages/protocol/dist/index.js";
import { Runtime } from "../../packages/runtime/dist/index.js";
import { statefunModule, Types } from "../../packages/sdk/dist/index.js";
import { storeFromUrl } from "../../packages/store-postgres/dist/index.js";
import { percentile, recorder } from "./common.js";
import { chainCounter } from "./counter.js";

const [url, name, idsText] = process.argv.slice(2);
const ids = Number(idsText);
const KEY_GROUPS = 128;
/** When each key group first ran an invocation here since the last `mark` (epoch ms, 0: not yet), for the failover workload. */
const firstInvoked = new Array(KEY_GROUPS).fill(0);

const counter = chainCounter(ids, (id) => {
  const kg = keyGroupOf(id, KEY_GROUPS);
  if (firstInvoked[kg] === 0) firstInvoked[kg] = Date.now();
});

const metrics = recorder();
// Each commit's start and end (ms) and messages, since the last reset: how busy the store was, and how the batches split.
const store = storeFromUrl(url);
let commits = [];
const commit = store.commit.bind(store);
store.commit = async (batch) => {
  const started = performance.now();
  try {
    return await commit(batch);
  } finally {
    commits.push([started, performance.now(), batch.messages.length]);
  }
};
const runtime = new Runtime({ store, owner: name, modules: [statefunModule({ functions: [counter] })], metrics });
await runtime.start();
let cpuBefore = process.cpuUsage();

const handlers = {
  status: () => ({ owned: runtime.ownedKeyGroups().length }),
  async seed() {
    // In chunks: the runtime refuses more than 10,000 ingress requests waiting for their commit.
    for (let from = 0; from < ids; from += 5_000) {
      const seeds = [];
      for (let i = from; i < Math.min(ids, from + 5_000); i++) {
        const argument = { typename: Types.int.typename, value: Types.int.serialize(0) };
        seeds.push(runtime.ingest({ target: counter.at(String(i)), argument }));
      }
      await Promise.all(seeds);
    }
    return {};
  },
  reset() {
    metrics.reset();
    commits = [];
    cpuBefore = process.cpuUsage();
    return {};
  },
  report() {
    const cpu = process.cpuUsage(cpuBefore);
    const latency = metrics.samples("commit_latency_seconds").map((s) => s * 1000);
    return {
      committed: metrics.samples("commit_batch_size").reduce((a, b) => a + b, 0),
      commits: metrics.samples("commit_batch_size").length,
      p50ms: percentile(latency, 50),
      p99ms: percentile(latency, 99),
      cpuMicros: cpu.user + cpu.system,
      ...commitSpans(),
      rssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  },
  mark() {
    firstInvoked.fill(0);
    return {};
  },
  invoked: () => ({ firstInvoked, owned: [...runtime.ownedKeyGroups()] }),
  async stop() {
    await runtime.stop();
    setImmediate(() => process.exit(0));
    return {};
  },
};

/** Share of the time from the first commit's start to the last one's end with a commit at the store, and the smallest and largest batch. */
function commitSpans() {
  if (commits.length === 0) return { storeBusy: 0, batchMessages: [0, 0] };
  let busy = 0;
  for (const [from, to] of commits) busy += to - from;
  const sizes = commits.map((c) => c[2]);
  return { storeBusy: busy / (commits.at(-1)[1] - commits[0][0]), batchMessages: [Math.min(...sizes), Math.max(...sizes)] };
}

process.on("message", async ({ id, cmd }) => {
  try {
    process.send({ id, ok: await handlers[cmd]() });
  } catch (error) {
    process.send({ id, error: String(error?.stack ?? error) });
  }
});
process.send({ ready: true });
