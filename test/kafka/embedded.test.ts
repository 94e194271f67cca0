/**
 * An embedded (TypeScript) module declares its Kafka ingress, with a typed router (the record's
 * JSON value names the target, not its key), and its Kafka egress; records flow end to end, and a
 * value its type refuses is dead-lettered.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { silentLogger } from "@statefun-ts/runtime";
import { jsonType, kafkaEgress, kafkaEgressSpec, kafkaIngress, statefulFunction, statefunModule, Types, valueSpec } from "@statefun-ts/sdk";
import { type RunningServer, startServer } from "@statefun-ts/server";
import { afterAll, describe, expect, it } from "vitest";
import { consumeAll, createTopic, produce, testBrokers, unique } from "./kafka.js";

const dir = mkdtempSync(join(tmpdir(), "statefun-kafka-embedded-"));
let server: RunningServer | undefined;
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Visit {
  readonly user: string;
}
const Visit = jsonType<Visit>("kafka-test/Visit", {
  schema: (v): v is Visit => typeof v === "object" && v !== null && typeof (v as { user?: unknown }).user === "string",
});

describe("Kafka I/O declared in an embedded module", () => {
  it("routes records by their typed value, writes to its declared egress, dead-letters what its type refuses", async () => {
    const brokers = testBrokers();
    const input = unique("visits");
    const output = unique("counts");
    await createTopic(input, 2);
    await createTopic(output, 1);
    const out = kafkaEgress("kafka-test/embedded-out");
    const visits = valueSpec("visits", Types.int);
    const user = statefulFunction({
      typename: "kafka-test/user",
      accepts: [Visit],
      state: { visits },
      handler(ctx) {
        const n = (ctx.state.visits.get() ?? 0) + 1;
        ctx.state.visits.set(n);
        ctx.egress(out, { topic: output, key: ctx.self.id, value: String(n) });
      },
    });
    const module = statefunModule({
      functions: [user],
      kafka: [
        kafkaIngress({
          id: "kafka-test/visits",
          address: brokers,
          consumerGroupId: unique("g"),
          startupPosition: "earliest",
          topics: [{ topic: input, type: Visit, route: ({ value }) => [user.at(value.user)] }],
        }),
        kafkaEgressSpec({ id: "kafka-test/embedded-out", address: brokers, deliverySemantic: "exactly-once" }),
      ],
    });
    server = await startServer({
      modules: [module],
      dataDir: join(dir, "data"),
      ports: { admin: 0, ingress: 0, egress: 0 },
      logger: silentLogger,
    });
    await produce(input, [
      { key: null, value: JSON.stringify({ user: "ann" }) },
      { key: "whatever", value: JSON.stringify({ user: "ann" }) },
      { key: null, value: JSON.stringify({ user: "bob" }) },
      { key: null, value: "not json" },
    ]);
    expect((await consumeAll(output, { until: (r) => r.length >= 3 })).sort()).toEqual(["ann=1", "ann=2", "bob=1"]);
    for (let i = 0; (await server.runtime.deadLetters(10)).length < 1; i++) {
      if (i > 100) throw new Error("the refused value was not dead-lettered");
      await sleep(100);
    }
    expect((await server.runtime.deadLetters(10))[0]?.error).toMatch(/^Kafka ingress kafka-test\/visits: record .*@\d+: /);
  }, 90_000);
});
