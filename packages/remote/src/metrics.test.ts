import type { CounterName, HistogramName, MetricsSink } from "@statefun-ts/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { remoteBinding } from "./binding.js";
import { type FakeEndpoint, fakeEndpoint, result } from "./fixtures/fake-endpoint.js";
import { invokeRequest, openStateSpecs, str } from "./fixtures/invoke.js";

const endpoints: FakeEndpoint[] = [];
afterEach(async () => {
  for (const e of endpoints.splice(0)) await e.close();
});

function recording(): MetricsSink & { counts: string[]; observed: string[] } {
  const counts: string[] = [];
  const observed: string[] = [];
  return {
    counts,
    observed,
    count: (name: CounterName, by = 1, type?: string) => void counts.push(`${name} ${by} ${type}`),
    observe: (name: HistogramName, value: number, type?: string) => void observed.push(`${name} ${value >= 0} ${type}`),
  };
}

describe("remote request metrics", () => {
  it("count and time every request attempt by function type, failures (no 2xx answer) apart", async () => {
    // The first attempt answers 503 (retried), the second the result.
    const endpoint = await fakeEndpoint((_batch, n) => (n === 1 ? { status: 503, body: "busy" } : result()));
    endpoints.push(endpoint);
    const metrics = recording();
    const { stateSpecs } = await openStateSpecs();
    const binding = remoteBinding({ functions: "py/greeter", urlPathTemplate: endpoint.url }, { specs: stateSpecs, metrics });
    try {
      await binding.invoker.invoke(invokeRequest("py/greeter", "bob", [{ argument: str("hi") }]));
    } finally {
      await binding.close();
    }
    expect(metrics.counts).toEqual([
      "remote_requests 1 py/greeter",
      "remote_request_failures 1 py/greeter",
      "invocation_failures 1 py/greeter",
      "remote_requests 1 py/greeter",
    ]);
    expect(metrics.observed).toEqual(["remote_request_seconds true py/greeter", "remote_request_seconds true py/greeter"]);
  });
});
