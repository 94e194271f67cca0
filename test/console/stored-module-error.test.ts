/// <reference lib="dom" />
/**
 * Issue 12, item 5: a stored module that cannot be loaded at start keeps no worker down, and the
 * operator sees why on the dashboard. A playground ingress module is stored while its port is
 * free; another process takes the port; the worker starts again on the same data directory
 * without the module, and the console's module list shows the module with its error.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningServer, startServer } from "@statefun-ts/server";
import type { Browser } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launch, newPage, screenshot } from "./browser.js";

const dir = mkdtempSync(join(tmpdir(), "statefun-console-module-error-"));
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
let server: RunningServer | undefined;
let blocker: Server | undefined;
let browser: Browser;

/** A TCP server on a free loopback port, and that port. */
async function listen(port = 0): Promise<{ socket: Server; port: number }> {
  const socket = createServer();
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.listen(port, "127.0.0.1", () => resolve());
  });
  return { socket, port: (socket.address() as { port: number }).port };
}

const close = (socket: Server) => new Promise<void>((resolve) => socket.close(() => resolve()));
const start = () => startServer({ dataDir: dir, ports: { admin: 0, ingress: 0, egress: 0 }, logger: quiet });

beforeAll(async () => {
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (blocker !== undefined) await close(blocker);
  rmSync(dir, { recursive: true, force: true });
});

describe("a stored module that fails at start, on the dashboard", () => {
  it("lists the module with the reason it is not loaded, on a worker that started without it", async () => {
    const free = await listen();
    await close(free.socket);
    server = await start();
    const put = await fetch(`http://127.0.0.1:${server.ports.admin}/v1/modules/pi`, {
      method: "PUT",
      body: `kind: io.statefun.playground.v1/ingress\nspec:\n  port: ${free.port}\n`,
    });
    expect(put.status).toBe(200);
    await server.close();
    server = undefined;

    blocker = (await listen(free.port)).socket;
    server = await start();
    const { page, errors } = await newPage(browser);
    await page.goto(`http://127.0.0.1:${server.ports.admin}/#/modules`);
    const row = await page.waitForSelector('tr[data-module="pi"] .bad');
    expect(await row!.evaluate((e) => e.textContent)).toContain(`cannot open its ingress port ${free.port}`);
    await screenshot(page, "stored-module-error");
    expect(errors).toEqual([]);
    await page.close();
  });
});
