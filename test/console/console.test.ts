/// <reference lib="dom" />
/**
 * The operator console in a real headless Chromium (issue 14), against a worker running the
 * greeter and shopping-cart examples (and a function that fails on demand): live charts, the
 * state browser's edit seen by the next invocation, a dead letter replayed by its button once the
 * function is fixed, a broken module YAML's error at its line. Each test saves a screenshot.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { statefulFunction, statefunModule, Types, valueSpec } from "@statefun-ts/sdk";
import { type RunningServer, startServer } from "@statefun-ts/server";
import type { Browser } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import greeter from "../../examples/greeter/module.js";
import shoppingCart from "../../examples/shopping-cart/module.js";
import { launch, newPage, screenshot } from "./browser.js";

const docsShot = process.env.STATEFUN_UPDATE_SCREENSHOTS === "1" ? resolve(import.meta.dirname, "../../docs/console.png") : undefined;

/** Throws while `broken` is set: its messages are dead-lettered at the first attempt. */
let broken = true;
const handled = valueSpec("handled", Types.string);
const fragile = statefulFunction({
  typename: "console/fragile",
  state: { handled },
  accepts: [Types.string],
  retry: { maxAttempts: 1 },
  handler(ctx, message) {
    if (broken) throw new Error(`cannot handle ${message.as(Types.string)} yet`);
    ctx.state.handled.set(message.as(Types.string));
  },
});

const dir = mkdtempSync(join(tmpdir(), "statefun-console-"));
let server: RunningServer;
let browser: Browser;
let admin: string;
let ingress: string;

beforeAll(async () => {
  server = await startServer({
    modules: [greeter, shoppingCart, statefunModule({ functions: [fragile] })],
    dataDir: dir,
    ports: { admin: 0, ingress: 0, egress: 0 },
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  });
  admin = `http://127.0.0.1:${server.ports.admin}`;
  ingress = `http://127.0.0.1:${server.ports.ingress}`;
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function greet(name: string): Promise<void> {
  const res = await fetch(`${ingress}/example/person/${name}`, {
    method: "PUT",
    headers: { "content-type": "application/vnd.example/GreetRequest" },
    body: JSON.stringify({ name }),
  });
  expect(res.status).toBeLessThan(300);
}

async function greetings(): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${server.ports.egress}/greetings`);
    if (res.status !== 200) return out;
    out.push(await res.text());
  }
}

describe("operator console in Chromium", () => {
  it("draws live charts of throughput, latency and backlog from the traffic", async () => {
    const { page, errors } = await newPage(browser);
    await page.goto(`${admin}/`);
    await page.waitForSelector('[data-card="health"]');
    // For the README's screenshot, a longer run draws fuller charts.
    const rounds = docsShot === undefined ? 4 : 40;
    for (let round = 0; round < rounds; round++) {
      await Promise.all(["Cat", "Dan", "Eve", "Joe"].map((name) => greet(`${name}${round}`)));
      await new Promise((r) => setTimeout(r, 400));
    }
    // The throughput chart's series have points above zero; the latency chart has values.
    await page.waitForFunction(() => Number(document.querySelector('[data-chart="Throughput (msg/s)"]')?.getAttribute("data-max")) > 0);
    await page.waitForFunction(() => Number(document.querySelector('[data-chart="Invocation latency"]')?.getAttribute("data-max")) > 0);
    expect(await page.$$eval(".chart canvas", (c) => c.length)).toBe(6);
    expect(await page.$eval('[data-card="health"] .value', (e) => e.textContent)).toBe("ready");
    expect(await page.$eval('[data-card="store"] .value', (e) => e.textContent)).toBe("SQLite");
    await new Promise((r) => setTimeout(r, 1500)); // a few more samples on the charts
    await screenshot(page, "overview", docsShot);
    await page.goto(`${admin}/#/functions`);
    await page.waitForSelector('tr[data-type="example/person"] svg.spark');
    await screenshot(page, "functions");
    await page.goto(`${admin}/#/cluster`);
    const me = await page.waitForSelector(`tr[data-worker="${server.runtime.workerName}"]`);
    expect(await me!.evaluate((e) => e.textContent)).toMatch(/this worker\s*\d+\s*0-\d+\s*1/);
    await screenshot(page, "cluster");
    await page.goto(`${admin}/#/io`);
    await page.waitForSelector('#egresses tr[data-topic="greetings"]');
    // The worker's own HTTP ingress is listed, with the port it serves on.
    expect(await page.$eval("#ingresses tbody", (e) => e.textContent)).toContain(
      `${server.ports.ingress}PUT|POST /{namespace}/{type}/{id}`,
    );
    await screenshot(page, "ingress-egress");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows Bob's visits in the state browser, and an edit made there is seen by the next invocation", async () => {
    await greet("Bob");
    await greet("Bob");
    await greetings();
    const { page, errors } = await newPage(browser);
    await page.goto(`${admin}/#/state`);
    await page.type('input[name="namespace"]', "example");
    await page.type('input[name="type"]', "person");
    // The instances of the type, listed from the store (Bob sorts first); Bob's opens his state.
    await page.click("#list-instances");
    await page.waitForSelector('#instances button[data-id="Bob"]');
    await page.click('#instances button[data-id="Bob"]');
    await page.waitForSelector('tr[data-state="visits"]');
    expect(await page.$eval('tr[data-state="visits"] code.value', (e) => e.textContent)).toBe("2");
    await page.click('tr[data-state="visits"] button.edit');
    const value = await page.waitForSelector('tr[data-state="visits"] textarea');
    await value!.click({ count: 3 });
    await page.keyboard.press("Backspace");
    await value!.type("41");
    await page.click('tr[data-state="visits"] button.save');
    await page.waitForFunction(() => document.querySelector('tr[data-state="visits"] code.value')?.textContent === "41");
    await screenshot(page, "state-edited");
    await greet("Bob");
    await expect.poll(greetings, { timeout: 10_000 }).toContain("Hello Bob for the 42nd time!");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("replays a dead letter with its button once the function is fixed", async () => {
    const sent = await fetch(`${ingress}/console/fragile/f1`, {
      method: "PUT",
      headers: { "content-type": "text/plain" },
      body: "order-7 <img src=x id=injected>",
    });
    expect(sent.status).toBeLessThan(300);
    const { page, errors } = await newPage(browser);
    await page.goto(`${admin}/#/deadletters`);
    const row = await page.waitForSelector("#deadletters tbody tr");
    const text = await row!.evaluate((e) => e.textContent ?? "");
    expect(text).toContain("console/fragile/f1");
    expect(text).toContain("cannot handle order-7 <img src=x id=injected> yet");
    // The preview and the reason are text: the markup in the message is shown, never run.
    expect(await page.$("#injected")).toBeNull();
    await screenshot(page, "dead-letter");
    broken = false;
    await page.click("#deadletters tbody tr button.replay");
    await page.waitForSelector('p.note[role="status"]');
    const state = async () =>
      (await (await fetch(`${admin}/v1/state/console/fragile/f1`)).json()) as { state: { name: string; value: unknown }[] };
    await expect
      .poll(async () => (await state()).state, { timeout: 10_000 })
      .toEqual([expect.objectContaining({ name: "handled", value: "order-7 <img src=x id=injected>" })]);
    await page.waitForFunction(() => document.querySelectorAll("#deadletters tbody tr").length === 0);
    await screenshot(page, "dead-letter-replayed");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows a broken module YAML's error at its line", async () => {
    const { page, errors } = await newPage(browser);
    await page.goto(`${admin}/#/modules`);
    const yaml = await page.waitForSelector('textarea[name="yaml"]');
    await yaml!.evaluate((e) => {
      (e as HTMLTextAreaElement).value = "";
    });
    await yaml!.type(
      "kind: io.statefun.endpoints.v2/http\nspec:\n  functions: [example/*\n  urlPathTemplate: http://127.0.0.1:1/{function.name}\n",
    );
    await page.click("#load-module");
    const error = await page.waitForSelector("#module-error");
    expect(await error!.evaluate((e) => e.textContent)).toMatch(/line \d+, column \d+: invalid YAML/);
    const line = Number((await error!.evaluate((e) => e.textContent))!.match(/line (\d+)/)![1]);
    expect(await page.$eval(`.gutter [data-line="${line}"]`, (e) => e.className)).toBe("err-line");
    expect(await page.$$eval(".gutter .err-line", (e) => e.length)).toBe(1);
    await screenshot(page, "module-error");
    expect(errors).toEqual([]);
    await page.close();
  });
});
