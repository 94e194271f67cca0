import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StringCodec } from "@statefun-ts/protocol";
import { Runtime } from "@statefun-ts/runtime";
import { egressRef, statefulFunction, statefunModule, Types } from "@statefun-ts/sdk";
import { SqliteStore, ThreadedSqliteStore } from "@statefun-ts/store-sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { PrometheusMetrics } from "./metrics.js";
import { StatsHistory } from "./stats/history.js";

/** The store's counts, as `Runtime.storeStats` and `storeCounts` give them. */
type StoreStats = Awaited<ReturnType<Runtime["storeStats"]>>;

const out = egressRef("out", Types.string);
const nowhere = egressRef("nowhere", Types.string);

/** `park:N` sends N messages to a type no module loads (they wait in the store), `later:T`, `cancel:T`, `egress:N`, `reject`. */
const ops = statefulFunction({
  typename: "test/ops",
  accepts: [Types.string],
  handler(ctx, message) {
    const [op, arg = ""] = message.as(Types.string).split(":");
    if (op === "park")
      for (let i = 0; i < Number(arg); i++) ctx.send({ namespace: "test", type: "unloaded", id: `p${i}` } as never, Types.string, "x");
    if (op === "later") ctx.sendAfter(3_600_000, ctx.self as never, Types.string, "noop", { cancellationToken: arg });
    if (op === "cancel") ctx.cancelDelayed(arg);
    if (op === "egress") for (let i = 0; i < Number(arg); i++) ctx.egress(out, `r${i}`);
    if (op === "reject") ctx.egress(nowhere, "x");
  },
});
const str = (s: string) => ({ typename: Types.string.typename, value: StringCodec.encode(s) });

/** The embedded store (on the engine's thread or its own), its count queries (`stats`, `egressDepth`) counted. */
function counted(Base: typeof SqliteStore) {
  return class CountedSqliteStore extends Base {
    countQueries = 0;
    override stats(): Promise<StoreStats> {
      this.countQueries++;
      return super.stats();
    }
    override egressDepth(): Promise<Map<string, number>> {
      this.countQueries++;
      return super.egressDepth();
    }
    /** The counts as the tables hold them, not counted. */
    truth(): Promise<StoreStats> {
      return Base.prototype.stats.call(this);
    }
  };
}
type CountedSqliteStore = InstanceType<ReturnType<typeof counted>>;

let dir: string | undefined;
let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function until(check: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A runtime on `store` with `/metrics` wired as the server wires it (the stats history reading the runtime's counts). */
async function worker(store: CountedSqliteStore): Promise<{ rt: Runtime; scrape: () => Promise<string> }> {
  const metrics = new PrometheusMetrics();
  const rt = new Runtime({ store, modules: [statefunModule({ functions: [ops], egresses: [out] })], metrics });
  runtime = rt;
  metrics.bind(rt);
  const history = new StatsHistory(metrics.recorder, {
    gauges: () => rt.gauges(),
    functionGauges: () => rt.functionGauges(),
    storeStats: () => rt.storeStats(),
    storeCounts: () => rt.storeCounts(),
    egressByTopic: () => rt.egressByTopic(),
  });
  metrics.bindStoreStats(
    () => history.storeStats(),
    () => history.egressDepth(),
  );
  await rt.start();
  return { rt, scrape: () => metrics.registry.metrics() };
}

function gauges(text: string): StoreStats {
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);
  return {
    messages: read("statefun_backlog_messages"),
    timers: read("statefun_timers"),
    egress: read("statefun_egress_records"),
    deadLetters: read("statefun_dead_letters"),
  };
}

describe.each([
  ["SqliteStore", SqliteStore],
  ["ThreadedSqliteStore", ThreadedSqliteStore as unknown as typeof SqliteStore],
])("/metrics store gauges on %s", (_name, Base) => {
  it("are exact after a series of operations and after a restart, and a scrape runs no count query", async () => {
    dir = await mkdtemp(join(tmpdir(), "statefun-metrics-counts-"));
    const store = new (counted(Base))({ dir });
    let { rt, scrape } = await worker(store);
    const send = (op: string, id: string) => rt.ingest({ target: ops.at(id), argument: str(op) });
    const settled = async (expected: StoreStats) => {
      await until(async () => JSON.stringify(await store.truth()) === JSON.stringify(expected));
      await until(() => rt.gauges().pendingCommits === 0 && rt.gauges().inFlightInvocations === 0);
    };

    await send("park:7", "a");
    await send("later:t1", "a");
    await send("later:t2", "b");
    await send("egress:3", "c");
    await send("reject", "d");
    await send("reject", "e");
    await settled({ messages: 7, timers: 2, egress: 3, deadLetters: 2 });
    await send("cancel:t1", "a");
    const claimed = await rt.claimEgress("out", 60_000);
    expect(await rt.ackEgress("out", claimed!.record.id, claimed!.receipt)).toBe(true);
    const [letter] = await rt.deadLetters(1);
    expect(await rt.discardDeadLetters([letter!.id])).toBe(1);
    const expected = { messages: 7, timers: 1, egress: 2, deadLetters: 1 };
    await settled(expected);

    const queriesBefore = store.countQueries;
    for (let i = 0; i < 5; i++) {
      const text = await scrape();
      expect(gauges(text)).toEqual(expected);
      expect(text).toContain('statefun_egress_records_by_topic{topic="out"} 2');
    }
    expect(store.countQueries).toBe(queriesBefore);
    // The count queries of the run: the engine's start (the counts, the egress records by topic).
    expect(queriesBefore).toBe(2);

    await rt.stop();
    runtime = undefined;
    ({ rt, scrape } = await worker(store));
    expect(gauges(await scrape())).toEqual(expected);
    await send("park:2", "f");
    await send("cancel:t2", "b");
    await settled({ messages: 9, timers: 0, egress: 2, deadLetters: 1 });
    expect(gauges(await scrape())).toEqual({ messages: 9, timers: 0, egress: 2, deadLetters: 1 });
    expect(await scrape()).toContain('statefun_egress_records_by_topic{topic="out"} 2');
    expect(store.countQueries).toBe(4);
  });
});
