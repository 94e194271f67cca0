import { describe, expect, it } from "vitest";
import { PrometheusMetrics } from "../metrics.js";
import { StatsHistory } from "./history.js";

function runtime() {
  let storeReads = 0;
  return {
    get storeReads() {
      return storeReads;
    },
    gauges: () => ({ bufferedMessages: 2, inFlightInvocations: 1, pendingCommits: 0, cachedAddresses: 3, parkedMessages: 0 }),
    functionGauges: () => new Map([["example/person", { queued: 2, busy: 1, retrying: 1 }]]),
    storeStats: async () => {
      storeReads++;
      return { messages: 5, timers: 0, egress: 1, deadLetters: 2 };
    },
    egressByTopic: () => new Map([["greetings", 1]]),
  };
}

describe("StatsHistory", () => {
  it("samples per-interval counts per function type, latency quantiles and gauges, keeping a bounded window", async () => {
    const metrics = new PrometheusMetrics();
    const rt = runtime();
    const history = new StatsHistory(metrics.recorder, rt, { capacity: 3 });
    metrics.count("ingress_messages", 1, "example/person");
    metrics.count("messages_delivered", 1, "example/person");
    metrics.count("invocations", 1, "example/person");
    metrics.count("messages_sent", 1, "example/person");
    metrics.count("invocation_failures", 2, "example/greeter");
    for (let i = 1; i <= 100; i++) metrics.observe("invocation_latency_seconds", i / 1000, "example/person");
    metrics.observe("commit_batch_size", 4);
    metrics.observe("commit_batch_size", 2);
    const first = history.sample(1000);
    expect(first).toMatchObject({
      t: 1000,
      ingress: 1,
      in: 1,
      invocations: 1,
      sent: 1,
      failures: 2,
      commits: 2,
      commitBatch: 3,
      buffered: 2,
    });
    expect(first.latencyP50).toBeCloseTo(0.051);
    expect(first.latencyP99).toBeCloseTo(0.1);
    expect(first.functions["example/person"]).toMatchObject({ ingress: 1, in: 1, invocations: 1, queued: 2, busy: 1, retrying: 1 });
    expect(first.functions["example/greeter"]).toMatchObject({ failures: 2, invocations: 0, latencyP50: null });

    metrics.count("invocations", 5, "example/person");
    const second = history.sample(2000);
    expect(second).toMatchObject({ invocations: 5, failures: 0, commits: 0, commitBatch: null, latencyP50: null });
    expect(second.functions["example/person"]?.invocations).toBe(5);
    // example/greeter did nothing in the second interval: left out, read as zero.
    expect(Object.keys(second.functions)).toEqual(["example/person"]);
    history.sample(3000);
    history.sample(4000);
    expect(history.window().map((s) => s.t)).toEqual([2000, 3000, 4000]);
    expect(history.window(2).map((s) => s.t)).toEqual([3000, 4000]);
  });

  it("reads the store's counts in the background at most every few seconds, and /metrics reads that cache", async () => {
    const metrics = new PrometheusMetrics();
    const rt = runtime();
    metrics.bind(rt);
    const history = new StatsHistory(metrics.recorder, rt, { storeEveryMs: 60_000 });
    metrics.bindStoreStats(
      () => history.storeStats(),
      () => history.egressDepth(),
    );
    history.sample(Date.now());
    await new Promise((r) => setImmediate(r));
    expect(history.storeStats()).toEqual({ messages: 5, timers: 0, egress: 1, deadLetters: 2 });
    for (let i = 0; i < 5; i++) await metrics.registry.metrics();
    for (let i = 0; i < 5; i++) history.sample(Date.now());
    expect(rt.storeReads).toBe(1);
    expect(history.sample(Date.now()).egressByTopic).toEqual({ greetings: 1 });
    const text = await metrics.registry.metrics();
    expect(text).toContain("statefun_backlog_messages 5");
    expect(text).toContain('statefun_function_retrying_addresses{function_type="example/person"} 1');
    expect(text).toContain('statefun_egress_records_by_topic{topic="greetings"} 1');
  });

  it("labels per-function counters and latency in /metrics", async () => {
    const metrics = new PrometheusMetrics();
    metrics.count("invocations", 3, "example/person");
    metrics.count("invocations", 1);
    metrics.observe("invocation_latency_seconds", 0.002, "example/person");
    const text = await metrics.registry.metrics();
    expect(text).toContain("statefun_invocations_total 4");
    expect(text).toContain('statefun_function_invocations_total{function_type="example/person"} 3');
    expect(text).toContain('statefun_function_invocation_latency_seconds_count{function_type="example/person"} 1');
  });

  it("holds in a sample only the types active in its interval, so thousands of types seen once do not fill the history", () => {
    const metrics = new PrometheusMetrics();
    const rt = { ...runtime(), functionGauges: () => new Map() };
    const history = new StatsHistory(metrics.recorder, rt, { capacity: 900 });
    // An outsider posts once to each of 5,000 function types no module loads: each is parked.
    for (let i = 0; i < 5000; i++) metrics.count("ingress_messages", 1, `junk/t${i}`);
    expect(Object.keys(history.sample(1000).functions)).toHaveLength(5000);
    metrics.count("invocations", 1, "example/person");
    expect(Object.keys(history.sample(2000).functions)).toEqual(["example/person"]);
    for (let t = 3000; t < 100_000; t += 1000) expect(history.sample(t).functions).toEqual({});
    metrics.count("ingress_messages", 2, "junk/t7");
    expect(history.sample(100_000).functions).toEqual({ "junk/t7": expect.objectContaining({ ingress: 2, invocations: 0 }) });
  });
});
