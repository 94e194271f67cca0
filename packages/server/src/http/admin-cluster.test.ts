import { silentLogger } from "@statefun-ts/runtime";
import { describe, expect, it } from "vitest";
import { PrometheusMetrics } from "../metrics.js";
import { type ClusterRuntime, clusterRoutes, ranges } from "./admin-cluster.js";
import { baseApp } from "./app.js";

describe("admin API: GET /v1/cluster and the owned key groups gauge", () => {
  it("lists contiguous ranges", () => {
    expect(ranges([])).toEqual([]);
    expect(ranges([4])).toEqual(["4"]);
    expect(ranges([0, 1, 2, 5, 7, 8])).toEqual(["0-2", "5", "7-8"]);
  });

  it("shows the worker's name and the key groups it runs now", async () => {
    let owned = [9, 3, 4, 5];
    const runtime: ClusterRuntime = {
      workerName: "host-1",
      clustered: true,
      ownedKeyGroups: () => owned,
    };
    const app = baseApp({ logger: silentLogger });
    clusterRoutes(app, runtime);
    const first = await app.inject({ method: "GET", url: "/v1/cluster" });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ worker: "host-1", clustered: true, keyGroups: [3, 4, 5, 9], ranges: ["3-5", "9"] });
    owned = [];
    expect((await app.inject({ method: "GET", url: "/v1/cluster" })).json()).toMatchObject({ keyGroups: [], ranges: [] });
    await app.close();

    const metrics = new PrometheusMetrics();
    metrics.bind({ ...runtime, gauges: () => ({}) as never, storeStats: async () => undefined as never });
    owned = [1, 2];
    expect(await metrics.registry.metrics()).toContain('statefun_owned_key_groups{worker="host-1"} 2');
  });
});
