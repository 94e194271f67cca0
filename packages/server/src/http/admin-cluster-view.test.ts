import { silentLogger } from "@statefun-ts/runtime";
import { describe, expect, it } from "vitest";
import { type ClusterRuntime, clusterRoutes } from "./admin-cluster.js";
import { baseApp } from "./app.js";

describe("GET /v1/cluster: the members and their leases", () => {
  it("groups the leases of live members into ranges with their epochs, and names key groups no live member holds", async () => {
    const leases = new Map([
      [0, { owner: "w1", epoch: 3 }],
      [1, { owner: "w1", epoch: 5 }],
      [2, { owner: "w2", epoch: 1 }],
      [3, { owner: "gone", epoch: 2 }],
      [4, { owner: undefined, epoch: 7 }],
    ]);
    const runtime: ClusterRuntime = {
      workerName: "w1",
      clustered: true,
      ownedKeyGroups: () => [0, 1],
      clusterView: () => ({ members: ["w1", "w2", "w3"], leases, heartbeatAt: Date.UTC(2026, 0, 1), heartbeatMs: 1000, leaseMs: 3000 }),
    };
    const app = baseApp({ logger: silentLogger });
    clusterRoutes(app, runtime);
    expect((await app.inject({ method: "GET", url: "/v1/cluster" })).json()).toEqual({
      worker: "w1",
      clustered: true,
      keyGroups: [0, 1],
      ranges: ["0-1"],
      members: [
        { worker: "w1", keyGroups: 2, ranges: ["0-1"], epochs: { min: 3, max: 5 } },
        { worker: "w2", keyGroups: 1, ranges: ["2"], epochs: { min: 1, max: 1 } },
        { worker: "w3", keyGroups: 0, ranges: [], epochs: null },
      ],
      unowned: ["3-4"],
      lastHeartbeat: "2026-01-01T00:00:00.000Z",
      heartbeatMs: 1000,
      leaseMs: 3000,
    });
    await app.close();
  });
});
