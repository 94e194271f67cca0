import { describe, expect, it } from "vitest";
import type { StatsSample } from "../stats/history.js";
import { type StatsSource, statsRoutes } from "./admin-stats.js";
import { baseApp } from "./app.js";

const sample = (t: number) => ({ t }) as StatsSample;

function app() {
  const samples = [sample(1000), sample(2000), sample(3000)];
  const source: StatsSource = {
    intervalMs: 1000,
    capacity: 900,
    window: (seconds) => (seconds === undefined ? samples : samples.slice(-seconds)),
    info: () => ({ worker: "w1", store: "SQLite", clustered: false, ready: true, startedAt: Date.now() - 5000 }),
  };
  const a = baseApp({ logger: { debug() {}, info() {}, warn() {}, error() {} } });
  statsRoutes(a, source);
  return a;
}

describe("GET /v1/stats and /v1/info", () => {
  it("answers the samples of the window asked for, oldest first", async () => {
    const res = await app().inject({ method: "GET", url: "/v1/stats?window=2" });
    expect(res.json()).toEqual({ intervalMs: 1000, window: 2, samples: [{ t: 2000 }, { t: 3000 }] });
    expect((await app().inject({ method: "GET", url: "/v1/stats" })).json().window).toBe(300);
  });

  it("refuses a window that is not whole seconds within what is kept", async () => {
    for (const bad of ["0", "901", "abc", "1.5"]) {
      const res = await app().inject({ method: "GET", url: `/v1/stats?window=${bad}` });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ error: `invalid window "${bad}": expected whole seconds from 1 to 900`, code: "STATEFUN_BAD_REQUEST" });
    }
  });

  it("tells the version, worker, store, readiness and uptime", async () => {
    const info = (await app().inject({ method: "GET", url: "/v1/info" })).json();
    expect(info).toMatchObject({ version: "0.1.0", worker: "w1", store: "SQLite", clustered: false, ready: true });
    expect(info.uptimeSeconds).toBeGreaterThanOrEqual(5);
  });
});
