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
const runtime = new Runtime({ store: storeFromUrl(url), owner: name, modules: [statefunModule({ functions: [counter] })], metrics });
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

process.on("message", async ({ id, cmd }) => {
  try {
    process.send({ id, ok: await handlers[cmd]() });
  } catch (error) {
    process.send({ id, error: String(error?.stack ?? error) });
  }
});
process.send({ ready: true });
