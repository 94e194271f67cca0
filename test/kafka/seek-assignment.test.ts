/**
 * On every partition assignment the ingress seeks to the position stored in our store, never to
 * Kafka's committed offset of its group: with the worker down, an operator moves the group's
 * committed offsets (ahead of the stored position, then behind it) and the worker, restarted on
 * the same store, still turns every record into exactly one message. Ahead: records produced
 * while it was down are read without any new record arriving to trigger a check (a partition is
 * positioned before its first fetch). Behind: nothing is counted twice.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunningServer } from "@statefun-ts/server";
import { afterAll, describe, expect, it } from "vitest";
import { counterIngress, countOf, groupOffsets, setGroupOffsets, startCounterWorker, until, untilReady } from "./counter-worker.js";
import { createTopic, produce, unique } from "./kafka.js";

const dir = mkdtempSync(join(tmpdir(), "statefun-kafka-seek-"));
let server: RunningServer | undefined;
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const KEYS = ["k0", "k1", "k2", "k3"];

describe("Kafka ingress seek on assignment", () => {
  it("starts every assigned partition at the stored position, whatever the group's committed offset says", async () => {
    const topic = unique("seek");
    const group = unique("g");
    const output = unique("out");
    await createTopic(topic, 2);
    await createTopic(output, 1);
    const records = (n: number) => Array.from({ length: n }, (_, i) => ({ key: KEYS[i % KEYS.length]!, value: output, partition: i % 2 }));
    const start = async () => {
      server = await startCounterWorker({
        dataDir: join(dir, "data"),
        ingresses: [counterIngress({ id: "seek", topic, group, extra: "  startupPosition:\n    type: earliest\n" })],
      });
      await untilReady(server);
      return server;
    };
    const total = async (s: RunningServer) => (await Promise.all(KEYS.map((k) => countOf(s, k)))).reduce((a, b) => a + b, 0);

    let s = await start();
    await produce(topic, records(20));
    await until(
      "the first 20 records counted",
      () => total(s),
      (n) => n === 20,
    );
    // The worker's own commits (for lag tools) tell Kafka where it is (sent after each commit, not awaited).
    await until(
      "the group's committed offsets at 10 and 10",
      async () => [...(await groupOffsets(group, topic))].sort(),
      (o) =>
        JSON.stringify(o) ===
        JSON.stringify([
          [0, 10],
          [1, 10],
        ]),
    );
    await s.close();

    // Down: 20 more records, and the group's committed offsets moved past them.
    await produce(topic, records(20));
    await setGroupOffsets(group, topic, [
      { partition: 0, offset: 20 },
      { partition: 1, offset: 20 },
    ]);
    s = await start();
    await until(
      "the 20 records produced while down counted",
      () => total(s),
      (n) => n === 40,
    );
    await s.close();

    // Down again: 20 more, and the committed offsets moved back to the beginning.
    await produce(topic, records(20));
    await setGroupOffsets(group, topic, [
      { partition: 0, offset: 0 },
      { partition: 1, offset: 0 },
    ]);
    s = await start();
    // An end record per partition: counted after every earlier record of its partition (and any duplicate of one).
    await produce(topic, [
      { key: "end-0", value: output, partition: 0 },
      { key: "end-1", value: output, partition: 1 },
    ]);
    await until(
      "the end records counted",
      async () => (await countOf(s, "end-0")) + (await countOf(s, "end-1")),
      (n) => n === 2,
    );
    expect(Object.fromEntries(await Promise.all(KEYS.map(async (k) => [k, await countOf(s, k)])))).toEqual({
      k0: 15,
      k1: 15,
      k2: 15,
      k3: 15,
    });
  }, 180_000);
});
