/**
 * The startup position default, end to end with real consumer groups: an ingress that names no
 * `startupPosition` starts a partition the store has no position for at its group's committed
 * offset (`group-offsets`, as StateFun's documentation says), and where the group has none, at
 * `autoOffsetResetPosition` (`latest` by default, `earliest` when set).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunningServer } from "@statefun-ts/server";
import { afterAll, describe, expect, it } from "vitest";
import { counterIngress, countOf, setGroupOffsets, startCounterWorker, until, untilReady } from "./counter-worker.js";
import { createTopic, produce, unique } from "./kafka.js";

const dir = mkdtempSync(join(tmpdir(), "statefun-kafka-startup-"));
let server: RunningServer | undefined;
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("Kafka ingress startup position", () => {
  it("defaults to group-offsets: a committed group starts at its offset, a group without falls back to autoOffsetResetPosition", async () => {
    const output = unique("out");
    await createTopic(output, 1);
    const committed = { topic: unique("committed"), group: unique("g") };
    const earliest = { topic: unique("earliest"), group: unique("g") };
    const latest = { topic: unique("latest"), group: unique("g") };
    for (const t of [committed, earliest, latest]) await createTopic(t.topic, 1);
    // Ten records in each topic before any worker; one key per topic.
    for (const [key, t] of [
      ["committed", committed],
      ["earliest", earliest],
      ["latest", latest],
    ] as const) {
      await produce(
        t.topic,
        Array.from({ length: 10 }, () => ({ key, value: output })),
      );
    }
    // The first group committed offset 6 (say, an earlier consumer of the topic): it starts there.
    await setGroupOffsets(committed.group, committed.topic, [{ partition: 0, offset: 6 }]);

    server = await startCounterWorker({
      dataDir: join(dir, "data"),
      ingresses: [
        counterIngress({ id: "committed", ...committed }),
        counterIngress({ id: "earliest", ...earliest, extra: "  autoOffsetResetPosition: earliest\n" }),
        counterIngress({ id: "latest", ...latest }),
      ],
    });
    await untilReady(server);
    // One more record per topic, read after the earlier ones of its partition: once counted, all earlier ones are.
    for (const t of [committed, earliest, latest]) await produce(t.topic, [{ key: `end-${t.topic}`, value: output }]);
    for (const t of [committed, earliest, latest]) {
      const s = server;
      await until(
        `the end record of ${t.topic}`,
        () => countOf(s, `end-${t.topic}`),
        (n) => n === 1,
      );
    }
    expect({
      committed: await countOf(server, "committed"),
      earliest: await countOf(server, "earliest"),
      latest: await countOf(server, "latest"),
    }).toEqual({ committed: 4, earliest: 10, latest: 0 });
  }, 120_000);
});
