import { Runtime, silentLogger } from "@statefun-ts/runtime";
import { MemoryStore } from "@statefun-ts/runtime/testing";
import { afterEach, describe, expect, it } from "vitest";
import type { ConsumedBatch, ConsumerHandlers, KafkaClient, KafkaConsumer } from "./client.js";
import { KafkaIngress } from "./ingress.js";
import type { KafkaIngressSpec } from "./spec.js";

/** A consumer whose batches the test hands over; it records seeks. */
class FakeConsumer implements KafkaConsumer {
  handlers: ConsumerHandlers | undefined;
  readonly seeks: string[] = [];
  /** The topics of each `run`, and whether `stop` was called. */
  readonly runs: string[][] = [];
  stopped = false;
  /** What `run` throws, if anything (a broker that cannot be reached). */
  failure: Error | undefined;
  async run(topics: readonly string[], handlers: ConsumerHandlers) {
    this.runs.push([...topics]);
    if (this.failure) throw this.failure;
    this.handlers = handlers;
  }
  seek(topic: string, partition: number, offset: number) {
    this.seeks.push(`${topic}/${partition}@${offset}`);
  }
  async commitOffset() {}
  async stop() {
    this.stopped = true;
  }
  /** How many heartbeats batches sent while held. */
  heartbeats = 0;
  deliver(from: number, count: number): Promise<void> {
    const records = Array.from({ length: count }, (_, i) => ({
      offset: from + i,
      key: new TextEncoder().encode(`k${from + i}`),
      value: new Uint8Array(),
    }));
    const batch: ConsumedBatch = {
      topic: "t",
      partition: 0,
      fetchedOffset: from,
      records,
      stale: () => false,
      resolve: () => {},
      heartbeat: async () => {
        this.heartbeats++;
      },
    };
    return this.handlers!.batch(batch);
  }
}

function fakeClient(consumer: FakeConsumer | (() => FakeConsumer), topics: () => string[] = () => ["t"]): KafkaClient {
  return {
    consumer: typeof consumer === "function" ? consumer : () => consumer,
    producer: () => {
      throw new Error("no producer in this test");
    },
    admin: async () => ({
      createTopics: async () => {},
      offsets: async () => [{ partition: 0, low: 0, high: 100 }],
      offsetsAt: async () => new Map(),
      listTopics: async () => topics(),
      groupOffsets: async () => new Map(),
      close: async () => {},
    }),
  };
}

const spec: KafkaIngressSpec = {
  id: "test/in",
  address: "127.0.0.1:9092",
  consumerGroupId: "g",
  topics: [{ topic: "t", valueType: "test/v", targets: ["test.fns/counter"] }],
  autoOffsetResetPosition: "latest",
  startupPosition: { type: "earliest" },
  properties: new Map(),
};

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop();
});

describe("KafkaIngress", () => {
  it("two consumers of one partition (a rebalance) turn its records into messages once; the late one seeks to the stored position", async () => {
    const store = new MemoryStore();
    runtime = new Runtime({ store, logger: silentLogger });
    await runtime.start();
    const [a, b] = [new FakeConsumer(), new FakeConsumer()];
    const ingresses = [a, b].map((c) => new KafkaIngress({ spec, client: fakeClient(c), sink: runtime!.sources(), logger: silentLogger }));
    for (const ingress of ingresses) ingress.start();
    await new Promise((resolve) => setTimeout(resolve, 10));
    // Both are assigned the partition (a rebalance in flight) and read its position: 0.
    for (const c of [a, b]) c.handlers!.assigned(new Map([["t", [0]]]));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect([a.seeks, b.seeks]).toEqual([["t/0@0"], ["t/0@0"]]);
    // Both read offsets 0..9; only the first to commit counts.
    await a.deliver(0, 10);
    await ingresses[0]!.settled();
    await b.deliver(0, 10);
    await ingresses[1]!.settled();
    expect((await store.stats()).messages).toBe(10);
    expect(b.seeks.at(-1)).toBe("t/0@10");
    // The late one goes on from the stored position.
    await b.deliver(10, 5);
    await ingresses[1]!.settled();
    expect((await store.stats()).messages).toBe(15);
    expect(await store.loadSourcePositions("kafka:test/in")).toEqual(new Map([["t/0", 15]]));
    for (const ingress of ingresses) await ingress.stop();
  });

  it("hands a partition's next batches over while the first ones commit, up to 4, and seeks back to the stored position when one is not committed", async () => {
    const store = new MemoryStore();
    runtime = new Runtime({ store, logger: silentLogger });
    await runtime.start();
    const sources = runtime.sources();
    await sources.advance({ source: "kafka:test/in", partition: "t/0", from: null, to: 0, messages: [], deadLetters: [] });
    // Advances wait for the test; the third fails (its commit), so the fourth (from where it ended) is rejected.
    const pending: { run: () => void }[] = [];
    const sink = {
      ...sources,
      advance: (records: Parameters<typeof sources.advance>[0]) =>
        new Promise<"committed" | "rejected">((resolve, reject) => {
          const n = pending.length;
          pending.push({ run: () => (n === 2 ? reject(new Error("disk I/O error")) : sources.advance(records).then(resolve, reject)) });
        }),
    };
    const consumer = new FakeConsumer();
    const ingress = new KafkaIngress({ spec, client: fakeClient(consumer), sink, logger: silentLogger });
    ingress.start();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await consumer.handlers!.assigned(new Map([["t", [0]]]));
    for (let i = 0; i < 4; i++) await consumer.deliver(i * 10, 10);
    expect(pending).toHaveLength(4);
    // The fifth waits for the oldest advance.
    let fifth = false;
    const delivered = consumer.deliver(40, 10).then(() => {
      fifth = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(fifth).toBe(false);
    for (const p of pending.slice(0, 4)) p.run();
    await delivered;
    pending[4]!.run();
    await ingress.settled();
    // Offsets 0..19 committed; 20..29 failed, so 30..49 were rejected: the partition goes back to 20.
    expect(await store.loadSourcePositions("kafka:test/in")).toEqual(new Map([["t/0", 20]]));
    expect((await store.stats()).messages).toBe(20);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(consumer.seeks.at(-1)).toBe("t/0@20");
    await ingress.stop();
  });

  it("hands a long batch over as advances of at most 500 records, each from where the last one ends", async () => {
    const store = new MemoryStore();
    runtime = new Runtime({ store, logger: silentLogger });
    await runtime.start();
    const sources = runtime.sources();
    const advances: [number | null, number, number][] = [];
    const sink = {
      ...sources,
      advance: (records: Parameters<typeof sources.advance>[0]) => {
        advances.push([records.from, records.to, records.messages.length]);
        return sources.advance(records);
      },
    };
    const consumer = new FakeConsumer();
    const ingress = new KafkaIngress({ spec, client: fakeClient(consumer), sink, logger: silentLogger });
    ingress.start();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await consumer.handlers!.assigned(new Map([["t", [0]]]));
    await consumer.deliver(0, 1_200);
    await ingress.settled();
    expect(advances).toEqual([
      [null, 0, 0],
      [0, 500, 500],
      [500, 1_000, 500],
      [1_000, 1_200, 200],
    ]);
    expect(await store.loadSourcePositions("kafka:test/in")).toEqual(new Map([["t/0", 1_200]]));
    expect((await store.stats()).messages).toBe(1_200);
    await ingress.stop();
  });

  it("records with no key are dead-lettered with the reason, in the commit of the position", async () => {
    const store = new MemoryStore();
    runtime = new Runtime({ store, logger: silentLogger });
    await runtime.start();
    const consumer = new FakeConsumer();
    const ingress = new KafkaIngress({ spec, client: fakeClient(consumer), sink: runtime.sources(), logger: silentLogger });
    ingress.start();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await consumer.handlers!.batch({
      topic: "t",
      partition: 0,
      fetchedOffset: 0,
      records: [{ offset: 0, key: null, value: new Uint8Array([1]) }],
      stale: () => false,
      resolve: () => {},
      heartbeat: async () => {},
    });
    await ingress.settled();
    const [letter] = await store.listDeadLetters(10);
    expect(letter?.error).toBe(
      "Kafka ingress test/in: record t/0@0: the record has no key (a Kafka ingress uses the key as the target id)",
    );
    expect(await store.loadSourcePositions("kafka:test/in")).toEqual(new Map([["t/0", 1]]));
    await ingress.stop();
  });

  it("holds a batch while the runtime is overloaded, heartbeating, and hands it over as soon as the runtime takes work", async () => {
    const store = new MemoryStore();
    runtime = new Runtime({ store, logger: silentLogger });
    await runtime.start();
    let overloaded = true;
    const sink = { ...runtime.sources(), overloaded: () => overloaded };
    const consumer = new FakeConsumer();
    const ingress = new KafkaIngress({ spec, client: fakeClient(consumer), sink, logger: silentLogger });
    ingress.start();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await consumer.handlers!.assigned(new Map([["t", [0]]]));
    let handled = false;
    const delivered = consumer.deliver(0, 10).then(() => {
      handled = true;
    });
    for (let i = 0; consumer.heartbeats < 3; i++) {
      if (i > 100) throw new Error("the held batch sent no heartbeats");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Held, not handled: nothing stored, the partition shown paused, no seek (nothing is fetched again).
    expect(handled).toBe(false);
    expect((await store.stats()).messages).toBe(0);
    expect(consumer.seeks).toEqual(["t/0@0"]);
    expect(ingress.status()).toMatchObject({ assigned: ["t/0"], paused: ["t/0"], pauses: 1, problem: undefined });
    overloaded = false;
    await delivered;
    await ingress.settled();
    expect((await store.stats()).messages).toBe(10);
    expect(ingress.status()).toMatchObject({ paused: [], pauses: 1 });
    await ingress.stop();
  });

  it("lets go of a held batch when it stops", async () => {
    const store = new MemoryStore();
    runtime = new Runtime({ store, logger: silentLogger });
    await runtime.start();
    const sink = { ...runtime.sources(), overloaded: () => true };
    const consumer = new FakeConsumer();
    const ingress = new KafkaIngress({ spec, client: fakeClient(consumer), sink, logger: silentLogger });
    ingress.start();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await consumer.handlers!.assigned(new Map([["t", [0]]]));
    const delivered = consumer.deliver(0, 10);
    await new Promise((resolve) => setTimeout(resolve, 30));
    await ingress.stop();
    await delivered;
    expect((await store.stats()).messages).toBe(0);
    expect(ingress.status().paused).toEqual([]);
  });

  it("consumes the topics that exist while another is missing, and subscribes again once it exists", async () => {
    const store = new MemoryStore();
    runtime = new Runtime({ store, logger: silentLogger });
    await runtime.start();
    const consumers: FakeConsumer[] = [];
    let existing = ["t"];
    const client = fakeClient(
      () => {
        consumers.push(new FakeConsumer());
        return consumers.at(-1)!;
      },
      () => existing,
    );
    const twoTopics: KafkaIngressSpec = {
      ...spec,
      topics: [...spec.topics, { topic: "u", valueType: "test/v", targets: ["test.fns/counter"] }],
    };
    const ingress = new KafkaIngress({ spec: twoTopics, client, sink: runtime.sources(), logger: silentLogger, retryMs: 5 });
    ingress.start();
    for (let i = 0; consumers.length === 0; i++) {
      if (i > 100) throw new Error("no consumer started");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(consumers[0]!.runs).toEqual([["t"]]);
    await consumers[0]!.handlers!.assigned(new Map([["t", [0]]]));
    expect(ingress.notReady).toBe(
      "topic u does not exist on the broker at 127.0.0.1:9092 (the ingress waits for it; it never creates topics)",
    );
    await consumers[0]!.deliver(0, 3);
    await ingress.settled();
    expect((await store.stats()).messages).toBe(3);
    existing = ["t", "u"];
    for (let i = 0; consumers.length < 2; i++) {
      if (i > 100) throw new Error("never subscribed again");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(consumers[0]!.stopped).toBe(true);
    expect(consumers[1]!.runs).toEqual([["t", "u"]]);
    await consumers[1]!.handlers!.assigned(new Map([["t", [0]]]));
    expect(ingress.notReady).toBeUndefined();
    // The new consumer starts the partition at the stored position.
    expect(consumers[1]!.seeks).toEqual(["t/0@3"]);
    await ingress.stop();
  });

  it("logs a missing topic once while it waits for it (not at every look), and once when it exists", async () => {
    const store = new MemoryStore();
    runtime = new Runtime({ store, logger: silentLogger });
    await runtime.start();
    const logged: string[] = [];
    const logger = {
      ...silentLogger,
      info: (_: object, message?: string) => logged.push(`info ${message}`),
      warn: (_: object, message?: string) => logged.push(`warn ${message}`),
    };
    let looks = 0;
    let broker: "up" | "down" = "up";
    let existing: string[] = [];
    const consumer = new FakeConsumer();
    const client = fakeClient(consumer, () => {
      looks++;
      if (broker === "down") throw new Error("Connection error: ECONNREFUSED");
      return existing;
    });
    const ingress = new KafkaIngress({ spec, client, sink: runtime.sources(), logger, retryMs: 2 });
    ingress.start();
    const lookedMore = async (n: number) => {
      const until = looks + n;
      for (let i = 0; looks < until; i++) {
        if (i > 500) throw new Error("the ingress stopped looking for its topic");
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    };
    await lookedMore(10);
    const missing = "topic t does not exist on the broker at 127.0.0.1:9092 (the ingress waits for it; it never creates topics)";
    expect(ingress.notReady).toBe(missing);
    expect(ingress.status()).toMatchObject({ problem: missing, missing: ["t"] });
    // A few looks the broker does not answer change nothing in the log.
    broker = "down";
    await lookedMore(3);
    expect(ingress.status().missing).toEqual([]);
    broker = "up";
    await lookedMore(5);
    expect(ingress.status()).toMatchObject({ problem: missing, missing: ["t"] });
    existing = ["t"];
    for (let i = 0; consumer.runs.length === 0; i++) {
      if (i > 500) throw new Error("never subscribed");
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect(logged).toEqual([
      "warn Kafka ingress: topics missing, waiting for them",
      "info Kafka ingress: missing topics exist now, subscribing to them",
    ]);
    expect(ingress.status().missing).toEqual([]);
    await ingress.stop();
  });

  it("says the broker cannot be reached when the consumer cannot start", async () => {
    const store = new MemoryStore();
    runtime = new Runtime({ store, logger: silentLogger });
    await runtime.start();
    const consumer = new FakeConsumer();
    consumer.failure = new Error("Connection error: ECONNREFUSED");
    const ingress = new KafkaIngress({
      spec,
      client: fakeClient(consumer),
      sink: runtime.sources(),
      logger: silentLogger,
      retryMs: 60_000,
    });
    ingress.start();
    for (let i = 0; consumer.runs.length === 0 || !consumer.stopped; i++) {
      if (i > 100) throw new Error("the consumer never ran");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(ingress.notReady).toBe("cannot reach the Kafka broker at 127.0.0.1:9092: Connection error: ECONNREFUSED");
    await ingress.stop();
  });
});
