/**
 * A Kafka egress writing to a topic that does not exist yet, on a broker that creates topics on
 * first use (`auto.create.topics.enable`, Kafka's default, and the StateFun playground's broker):
 * as StateFun's producer does, the egress lets the broker create it, and the records arrive. (An
 * ingress never creates its topics: unknown-topic.test.ts.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { silentLogger } from "@statefun-ts/runtime";
import { customType, kafkaEgress, kafkaEgressSpec, kafkaIngress, statefulFunction, statefunModule } from "@statefun-ts/sdk";
import { type RunningServer, startServer } from "@statefun-ts/server";
import { afterAll, describe, expect, it } from "vitest";
import { consumeAll, createTopic, listTopics, produce, testBrokers, unique } from "./kafka.js";

/** A record's value as it is: UTF-8 text. */
const Text = customType("kafka-test/text", {
  serialize: (s: string) => new TextEncoder().encode(s),
  deserialize: (b) => new TextDecoder().decode(b),
});

const dir = mkdtempSync(join(tmpdir(), "statefun-kafka-egress-topic-"));
const servers: RunningServer[] = [];
afterAll(async () => {
  for (const server of servers) await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a Kafka egress to a topic the broker does not have yet", () => {
  for (const semantic of ["at-least-once", "exactly-once"] as const) {
    it(`lets the broker create it on first use and delivers every record (${semantic})`, async () => {
      const brokers = testBrokers();
      const input = unique("in");
      const output = unique("created-by-egress");
      await createTopic(input, 1);
      const out = kafkaEgress("kafka-test/to-new-topic");
      const echo = statefulFunction({
        typename: "kafka-test/echo",
        accepts: [Text],
        handler(ctx, message) {
          ctx.egress(out, { topic: output, key: ctx.self.id, value: message.as(Text) });
        },
      });
      const module = statefunModule({
        functions: [echo],
        kafka: [
          kafkaIngress({
            id: "kafka-test/in",
            address: brokers,
            consumerGroupId: unique("g"),
            startupPosition: "earliest",
            topics: [{ topic: input, type: Text, route: ({ key }) => [echo.at(key ?? "none")] }],
          }),
          kafkaEgressSpec({ id: "kafka-test/to-new-topic", address: brokers, deliverySemantic: semantic }),
        ],
      });
      const server = await startServer({
        modules: [module],
        dataDir: join(dir, semantic),
        ports: { admin: 0, ingress: 0, egress: 0 },
        logger: silentLogger,
      });
      servers.push(server);
      await produce(input, [
        { key: "a", value: "one" },
        { key: "b", value: "two" },
      ]);
      // Only the egress may create the topic: nothing here reads it before it exists.
      for (let i = 0; !(await listTopics()).includes(output); i++) {
        if (i > 300) throw new Error(`the egress did not get ${output} created: ${JSON.stringify(await server.runtime.deadLetters(10))}`);
        await sleep(100);
      }
      expect((await consumeAll(output, { until: (r) => r.length >= 2 })).sort()).toEqual(["a=one", "b=two"]);
    }, 90_000);
  }
});
