/**
 * The console's I/O page (headless Chromium) lists the worker's Kafka ingresses and egresses from
 * `GET /v1/io`: broker, consumer group, topics, assigned and paused partitions, delivery; ready,
 * or what each waits for (a topic that does not exist yet), and it follows when that changes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunningServer } from "@statefun-ts/server";
import type { Browser } from "puppeteer-core";
import { afterAll, describe, expect, it } from "vitest";
import { launch, newPage, screenshot } from "../console/browser.js";
import { counterIngress, startCounterWorker, untilReady } from "./counter-worker.js";
import { createTopic, testBrokers, unique } from "./kafka.js";

// The page callbacks run in Chromium; the DOM types stay out of the other tests.
declare const document: { querySelector(selector: string): { textContent: string | null } | null };

const dir = mkdtempSync(join(tmpdir(), "statefun-kafka-console-"));
let server: RunningServer | undefined;
let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the console's I/O page with Kafka", () => {
  it("lists the Kafka ingresses and egresses with their state", async () => {
    const topic = unique("orders");
    const later = unique("later");
    const group = unique("g");
    await createTopic(topic, 2);
    server = await startCounterWorker({
      dataDir: join(dir, "data"),
      ingresses: [counterIngress({ id: "orders", topic, group }), counterIngress({ id: "later", topic: later, group: unique("g") })],
    });
    browser = await launch();
    const { page, errors } = await newPage(browser);
    await page.goto(`http://127.0.0.1:${server.ports.admin}/#/io`);
    const row = async (selector: string) =>
      (await page.waitForSelector(selector))!.evaluate((e) => [...e.children].map((c) => c.textContent));

    // The ingress of an existing topic joins its group and is assigned both partitions.
    await page.waitForFunction(
      (t) => document.querySelector('#kafka-ingresses tr[data-ingress="kafka-test/orders"] td.small')?.textContent === `${t}/0, ${t}/1`,
      { timeout: 60_000 },
      topic,
    );
    expect(await row('#kafka-ingresses tr[data-ingress="kafka-test/orders"]')).toEqual([
      "kafka-test/orders",
      testBrokers(),
      group,
      topic,
      "ready",
      `${topic}/0, ${topic}/1`,
      "– (0 since start)",
    ]);
    // The other waits for its topic, and says so.
    const waiting = await row('#kafka-ingresses tr[data-ingress="kafka-test/later"]');
    expect(waiting[4]).toBe(
      `topic ${later} does not exist on the broker at ${testBrokers()} (the ingress waits for it; it never creates topics)`,
    );
    expect(await row('#kafka-egresses tr[data-egress="kafka-test/out"]')).toEqual([
      "kafka-test/out",
      testBrokers(),
      "at-least-once",
      "ready",
    ]);
    // Not among the HTTP egresses (read with GET on the egress port): it has no topic there.
    expect(await page.$eval("#egresses tbody", (e) => e.textContent)).not.toContain("kafka-test/out");
    await screenshot(page, "kafka-io");

    // Once the topic exists, the page shows that ingress ready too.
    await createTopic(later, 1);
    await untilReady(server);
    await page.waitForFunction(
      () => document.querySelector('#kafka-ingresses tr[data-ingress="kafka-test/later"] td.state')?.textContent === "ready",
      { timeout: 30_000 },
    );
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
