import { describe, expect, it } from "vitest";
import { PrometheusMetrics } from "./metrics.js";

describe("PrometheusMetrics", () => {
  it("keeps its own registry and reads the store once per scrape", async () => {
    let storeReads = 0;
    const metrics = new PrometheusMetrics();
    metrics.bind({
      gauges: () => ({ bufferedMessages: 0, inFlightInvocations: 0, pendingCommits: 0, cachedAddresses: 0, parkedMessages: 0 }),
      storeStats: async () => {
        storeReads++;
        return { messages: 1, timers: 2, egress: 3, deadLetters: 4 };
      },
    });
    const other = new PrometheusMetrics();
    metrics.count("timers_fired", 2);
    const text = await metrics.registry.metrics();
    expect(storeReads).toBe(1);
    expect(text).toContain("statefun_timers_fired_total 2");
    expect(text).toContain("statefun_dead_letters 4");
    expect(await other.registry.metrics()).toContain("statefun_timers_fired_total 0");
  });

  it("reports statefun_store_full while commits fail for lack of disk space", async () => {
    const metrics = new PrometheusMetrics();
    const runtime = {
      gauges: () => ({ bufferedMessages: 0, inFlightInvocations: 0, pendingCommits: 0, cachedAddresses: 0, parkedMessages: 0 }),
      storeStats: async () => ({ messages: 0, timers: 0, egress: 0, deadLetters: 0 }),
      storeFull: false,
    };
    metrics.bind(runtime);
    expect(await metrics.registry.metrics()).toMatch(/^statefun_store_full 0$/m);
    runtime.storeFull = true;
    expect(await metrics.registry.metrics()).toMatch(/^statefun_store_full 1$/m);
  });

  it("reports store gauges as NaN when the store cannot answer", async () => {
    const metrics = new PrometheusMetrics();
    metrics.bind({
      gauges: () => ({ bufferedMessages: 9, inFlightInvocations: 0, pendingCommits: 0, cachedAddresses: 0, parkedMessages: 0 }),
      storeStats: () => Promise.reject(new Error("closed")),
    });
    const text = await metrics.registry.metrics();
    expect(text).toContain("statefun_buffered_messages 9");
    expect(text).toMatch(/^statefun_backlog_messages nan$/im);
  });
});
