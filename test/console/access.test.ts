/// <reference lib="dom" />
/**
 * The console with STATEFUN_ADMIN_TOKEN set, in a real headless Chromium: without a session the
 * console redirects to the sign-in page, the token signs in (an HttpOnly cookie), a change sent
 * from a page of another origin is refused even with the session cookie, and the JSON API still
 * takes the bearer token.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningServer, startServer } from "@statefun-ts/server";
import type { Browser } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import greeter from "../../examples/greeter/module.js";
import { launch, newPage, screenshot } from "./browser.js";

const TOKEN = "console-test-token";
const dir = mkdtempSync(join(tmpdir(), "statefun-console-access-"));
let server: RunningServer;
let other: Server;
let browser: Browser;
let admin: string;

beforeAll(async () => {
  server = await startServer({
    modules: [greeter],
    dataDir: dir,
    adminToken: TOKEN,
    ports: { admin: 0, ingress: 0, egress: 0 },
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  });
  admin = `http://127.0.0.1:${server.ports.admin}`;
  // A page of another origin (another port of the same host) that tries to change something.
  other = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>elsewhere</title>"));
  await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => other?.close(resolve));
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("console access with a token", () => {
  it("redirects to sign-in without a session; the token signs in; a cross-site change is refused; the API takes the bearer token", async () => {
    const { page, errors } = await newPage(browser);
    await page.goto(`${admin}/`);
    expect(new URL(page.url()).pathname).toBe("/signin");
    await page.waitForSelector("#signin");
    await page.type('input[name="token"]', "wrong");
    await page.click('#signin button[type="submit"]');
    expect(await (await page.waitForSelector('#signin [role="alert"]'))!.evaluate((e) => e.textContent)).toBe("wrong token");
    await screenshot(page, "signin");

    await page.$eval('input[name="token"]', (e) => {
      (e as HTMLInputElement).value = "";
    });
    await page.type('input[name="token"]', TOKEN);
    await Promise.all([page.waitForNavigation(), page.click('#signin button[type="submit"]')]);
    expect(new URL(page.url()).pathname).toBe("/");
    await page.waitForFunction(() => document.querySelector('[data-card="health"] .value')?.textContent === "ready");
    const cookies = await browser.cookies();
    const session = cookies.find((c) => c.name === "statefun_session");
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict" });
    expect(await page.evaluate(() => document.cookie)).toBe(""); // not readable by scripts
    await screenshot(page, "signed-in");

    // The same browser, on a page of another origin: its POST carries the session cookie (same
    // site, another port) but is refused for its Origin.
    const elsewhere = await browser.newPage();
    await elsewhere.goto(`http://127.0.0.1:${(other.address() as AddressInfo).port}/`);
    const refused = elsewhere.waitForResponse((r) => r.url().endsWith("/v1/deadletters/1/replay"));
    await elsewhere.evaluate((url) => {
      void fetch(url, { method: "POST", credentials: "include", mode: "no-cors" }).catch(() => {});
    }, `${admin}/v1/deadletters/1/replay`);
    expect((await refused).status()).toBe(403);
    await screenshot(elsewhere, "cross-site-refused");
    await elsewhere.close();

    // Bearer token for the JSON API, as before.
    expect((await fetch(`${admin}/v1/functions`)).status).toBe(401);
    expect((await fetch(`${admin}/v1/functions`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect(errors).toEqual([]);
    await page.close();
  });
});
