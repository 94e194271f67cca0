/**
 * Pause under overload: with a small backlog bound (`maxBacklog`) and a function held back, the
 * Kafka ingress stops reading (its partitions paused, as `GET /v1/io` shows) instead of taking
 * records into the store without bound; once the function goes on, the partitions resume and
 * every record becomes exactly one message. The resume takes no wait for a fetch: the held batch goes
 * on as the backlog drains, even with a consumer whose fetches wait minutes for records.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IntCodec } from "@statefun-ts/protocol";
import { silentLogger } from "@statefun-ts/runtime";
import { kafkaIngress, statefulFunction, statefunModule, Types, valueSpec } from "@statefun-ts/sdk";
import { type RunningServer, startServer } from "@statefun-ts/server";
import { afterAll, describe, expect, it } from "vitest";
import { until, untilReady } from "./counter-worker.js";
import { Text } from "./fixtures/counter.js";
import { createTopic, produce, testBrokers, unique } from "./kafka.js";

const FETCH_WAIT_MS = 20_000;
const dir = mkdtempSync(join(tmpdir(), "statefun-kafka-overload-"));
let server: RunningServer | undefined;
let open: () => void = () => {};
afterAll(async () => {
  open();
  // Closing waits for the consumer's fetch under way (up to FETCH_WAIT_MS).
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
}, FETCH_WAIT_MS + 60_000);

interface KafkaIo {
  kafka: { ingresses: { id: string; assigned: string[]; paused: string[]; pauses: number; problem: string | null }[] };
}

describe("Kafka ingress under overload", () => {
  it("pauses its partitions while the backlog is over its bound, resumes, and delivers every record once", async () => {
    const topic = unique("load");
    await createTopic(topic, 2);
    // The function waits for the gate: while it is shut, nothing leaves the backlog.
    let gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const count = valueSpec("count", Types.int);
    const slow = statefulFunction({
      typename: "kafka-test/slow",
      accepts: [Text],
      state: { count },
      async handler(ctx) {
        await gate;
        ctx.state.count.set((ctx.state.count.get() ?? 0) + 1);
      },
    });
    const module = statefunModule({
      functions: [slow],
      kafka: [
        kafkaIngress({
          id: "kafka-test/load",
          address: testBrokers(),
          consumerGroupId: unique("g"),
          startupPosition: "earliest",
          topics: [{ topic, type: Text, route: ({ key }) => [slow.at(key ?? "none")] }],
          // A fetch waits for records up to 20 s (the session outlasts it): a resume that waited for
          // the consumer's next fetch (kafkajs sleeps that long when every partition is paused)
          // would miss the 10 s the test waits for the records once the function goes on.
          properties: { "fetch.max.wait.ms": String(FETCH_WAIT_MS), "session.timeout.ms": "30000" },
        }),
      ],
    });
    server = await startServer({
      modules: [module],
      dataDir: join(dir, "data"),
      ports: { admin: 0, ingress: 0, egress: 0 },
      logger: silentLogger,
      limits: { maxBacklog: 4 },
    });
    const s = server;
    await untilReady(s);
    const io = async () => ((await (await fetch(`http://127.0.0.1:${s.ports.admin}/v1/io`)).json()) as KafkaIo).kafka.ingresses[0]!;
    const countOf = async (id: string) => {
      const state = (await s.runtime.readState({ namespace: "kafka-test", type: "slow", id })).find((v) => v.name === "count");
      return state === undefined ? 0 : IntCodec.decode(state.value);
    };
    const counted = async () => {
      let total = 0;
      for (const id of ["a", "b", "c", "d"]) total += await countOf(id);
      return total;
    };
    const records = (n: number, partition: number) =>
      Array.from({ length: n }, (_, i) => ({ key: ["a", "b", "c", "d"][i % 4]!, value: `r${i}`, partition }));

    // The first records fill the backlog to its bound (4) or past it, and stay there.
    await produce(topic, records(10, 0));
    const backlog = (
      await until(
        "the first records in the store",
        () => s.runtime.storeStats(),
        (stats) => stats.messages >= 4,
      )
    ).messages;
    // More records: the ingress pauses both partitions rather than taking them in.
    await produce(topic, [...records(20, 0), ...records(20, 1)]);
    const paused = await until("both partitions paused", io, (i) => i.paused.length === 2);
    expect(paused.paused).toEqual([`${topic}/0`, `${topic}/1`]);
    expect(paused.pauses).toBeGreaterThanOrEqual(2);
    expect((await s.runtime.storeStats()).messages).toBe(backlog);

    // The function goes on: the backlog drains, the partitions resume, every record counts once.
    open();
    gate = Promise.resolve();
    await until("all 50 records counted", counted, (n) => n >= 50, FETCH_WAIT_MS / 2);
    // An end record per partition comes after every earlier one of its partition (and any duplicate).
    await produce(topic, [
      { key: "end", value: "end", partition: 0 },
      { key: "end", value: "end", partition: 1 },
    ]);
    await until(
      "both end records counted",
      () => countOf("end"),
      (n) => n === 2,
    );
    expect(await counted()).toBe(50);
    const after = await io();
    expect(after.paused).toEqual([]);
    expect(after.problem).toBeNull();
  }, 120_000);
});
