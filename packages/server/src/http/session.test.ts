import type { Runtime } from "@statefun-ts/runtime";
import { describe, expect, it } from "vitest";
import { type AdminRuntime, adminApp } from "./admin.js";

const runtime = {
  ready: true,
  readState: async () => [],
  deadLetters: async () => [],
  replayDeadLetter: async () => true,
  discardDeadLetters: async () => 0,
  functionTypes: () => [],
  function: () => undefined,
  ingresses: () => [],
  egresses: () => [],
  gauges: () => ({ bufferedMessages: 0, inFlightInvocations: 0, pendingCommits: 0, cachedAddresses: 0, parkedMessages: 0 }),
  storeStats: async () => ({ messages: 0, timers: 0, egress: 0, deadLetters: 0 }),
  parkedByType: () => new Map(),
} satisfies AdminRuntime as unknown as Runtime;

const host = "127.0.0.1:8081";

describe("admin access: token, console sessions, cross-site changes", () => {
  it("redirects the console to /signin without a session, and lets the token sign in for an HttpOnly SameSite=Strict cookie", async () => {
    const app = adminApp(runtime, { token: "s3cret" });
    const page = await app.inject({ method: "GET", url: "/", headers: { host } });
    expect(page.statusCode).toBe(302);
    expect(page.headers.location).toBe("/signin");
    expect((await app.inject({ method: "GET", url: "/signin", headers: { host } })).statusCode).toBe(200);
    expect((await app.inject({ method: "GET", url: "/v1/functions", headers: { host } })).statusCode).toBe(401);

    const wrong = await app.inject({ method: "POST", url: "/v1/session", headers: { host }, payload: { token: "nope" } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().code).toBe("STATEFUN_UNAUTHORIZED");
    const signin = await app.inject({
      method: "POST",
      url: "/v1/session",
      headers: { host, origin: `http://${host}` },
      payload: { token: "s3cret" },
    });
    expect(signin.statusCode).toBe(200);
    const setCookie = String(signin.headers["set-cookie"]);
    expect(setCookie).toMatch(/^statefun_session=[\w-]{20,}; Path=\/; HttpOnly; SameSite=Strict/);
    const cookie = setCookie.split(";", 1)[0]!;

    expect((await app.inject({ method: "GET", url: "/", headers: { host, cookie } })).statusCode).toBe(200);
    expect((await app.inject({ method: "GET", url: "/v1/functions", headers: { host, cookie } })).statusCode).toBe(200);
    // A change by cookie needs the console's header (a cross-site form cannot set it).
    const bare = await app.inject({ method: "POST", url: "/v1/deadletters/1/replay", headers: { host, cookie } });
    expect(bare.statusCode).toBe(403);
    expect(bare.json().code).toBe("STATEFUN_FORBIDDEN");
    const ok = await app.inject({ method: "POST", url: "/v1/deadletters/1/replay", headers: { host, cookie, "x-statefun-console": "1" } });
    expect(ok.statusCode).toBe(200);
    // The JSON API still takes the bearer token.
    const bearer = await app.inject({ method: "POST", url: "/v1/deadletters/1/replay", headers: { host, authorization: "Bearer s3cret" } });
    expect(bearer.statusCode).toBe(200);
  });

  it("refuses a change from another origin, with or without a token", async () => {
    for (const token of [undefined, "s3cret"]) {
      const app = adminApp(runtime, { token });
      const headers = { host, origin: "http://evil.example", authorization: "Bearer s3cret", "x-statefun-console": "1" };
      const res = await app.inject({ method: "POST", url: "/v1/deadletters/1/replay", headers });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual({ error: "cross-site requests may not change anything", code: "STATEFUN_FORBIDDEN" });
      const same = await app.inject({ method: "POST", url: "/v1/deadletters/1/replay", headers: { ...headers, origin: `http://${host}` } });
      expect(same.statusCode).toBe(200);
    }
  });
});
