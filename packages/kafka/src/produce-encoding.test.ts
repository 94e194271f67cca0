import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { fastCodecs } from "./kafkajs-codecs.js";
import { crc32c, encodeProduceRequest, type ProduceRequest } from "./produce-encoding.js";

// kafkajs' own Produce request (v3; v4 to v7 write the same body) and CRC-32C: loaded by path from the package.
const require = createRequire(import.meta.url);
const kafkajsDir = require.resolve("kafkajs").replace(/index\.js$/, "src/");
const kafkajsProduceV3 = require(`${kafkajsDir}protocol/requests/produce/v3/request.js`) as (args: unknown) => {
  encode: () => Promise<{ buffer: Buffer }>;
};
const kafkajsCrc32c = require(`${kafkajsDir}protocol/recordBatch/crc32C/index.js`) as (buffer: Buffer) => number;

const NOW = 1_764_800_000_123;

async function kafkajsBytes(request: ProduceRequest): Promise<Buffer> {
  const realNow = Date.now;
  Date.now = () => NOW;
  try {
    return (await kafkajsProduceV3({ compression: 0, ...request }).encode()).buffer;
  } finally {
    Date.now = realNow;
  }
}

function randomBytes(random: () => number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = random() & 0xff;
  return bytes;
}

describe("the Produce request encoding", () => {
  it("writes kafkajs' bytes: transactional, idempotent and plain requests, null and empty keys and values, many topics and partitions", async () => {
    let seed = 7;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return seed;
    };
    const requests: ProduceRequest[] = [];
    for (let n = 0; n < 40; n++) {
      const topics = 1 + (n % 3);
      requests.push({
        transactionalId: n % 3 === 0 ? null : n % 3 === 1 ? `statefun-ts.egress.bench/out.${n}` : undefined,
        acks: n % 2 === 0 ? -1 : 1,
        timeout: 30_000,
        producerId: n % 3 === 0 ? -1 : String(1000 + n * 7919),
        producerEpoch: n % 5,
        topicData: Array.from({ length: topics }, (_, t) => ({
          topic: `topic-${t}-é`,
          partitions: Array.from({ length: 1 + ((n + t) % 4) }, (_, p) => ({
            partition: p * 3,
            firstSequence: (n * 131 + p) % 5000,
            // Up to 300 records a batch: offset deltas past one varint byte (64 and 8,192 need two and three).
            messages: Array.from({ length: 1 + (random() % (n % 4 === 0 ? 300 : 20)) }, (_, i) => ({
              key: i % 7 === 0 ? null : randomBytes(random, i % 11 === 0 ? 0 : random() % 40),
              value: i % 13 === 5 ? null : randomBytes(random, i % 17 === 3 ? 200 + (random() % 20_000) : random() % 80),
            })),
          })),
        })),
      });
    }
    for (const request of requests) expect(encodeProduceRequest(request, NOW).equals(await kafkajsBytes(request))).toBe(true);
  });

  it("computes CRC-32C as kafkajs does (the Castagnoli check value of '123456789' is e3069283)", () => {
    expect(crc32c(Buffer.from("123456789")).toString(16)).toBe("e3069283");
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 37) & 0xff));
    expect(crc32c(bytes, 10, 900)).toBe(kafkajsCrc32c(bytes.subarray(10, 900)));
  });
});

describe("a broker encoding its Produce requests with it", () => {
  /** A kafkajs broker's produce, reduced to what it does synchronously: look the factory up, build the request. */
  async function fakeBroker() {
    const sent: { apiVersion: number; encode: () => unknown }[] = [];
    const broker = {
      lookupRequest: (_apiKey: number, _definition: unknown) => (args: unknown) => ({
        request: { apiVersion: 7, encode: () => `kafkajs ${JSON.stringify(Object.keys(args as object))}` },
        response: { decode: async () => "kafkajs" },
      }),
      async produce(request: unknown) {
        const made = this.lookupRequest(0, {})(request);
        sent.push(made.request);
        return made;
      },
      async fetch(_request: unknown) {},
    };
    const cluster = fastCodecs({ findBroker: async (_request: { nodeId: number | string }) => broker as object });
    return { broker: (await cluster.findBroker({ nodeId: 1 })) as typeof broker, sent };
  }
  const request = {
    acks: -1,
    timeout: 30_000,
    topicData: [{ topic: "t", partitions: [{ partition: 0, messages: [{ key: Buffer.from("k"), value: Buffer.from("v") }] }] }],
  };

  it("encodes plain Buffer records itself, and leaves its lookup as it was", async () => {
    const { broker, sent } = await fakeBroker();
    const lookup = broker.lookupRequest;
    await broker.produce(request);
    expect(broker.lookupRequest).toBe(lookup);
    const encoded = (await sent[0]!.encode()) as { buffer: Buffer; buf: Buffer };
    expect(Buffer.isBuffer(encoded.buf)).toBe(true);
    expect(encoded.buffer.subarray(0, 10)).toEqual(encodeProduceRequest(request).subarray(0, 10));
  });

  it("leaves to kafkajs records with timestamps, headers or string values, and compressed requests", async () => {
    const { broker, sent } = await fakeBroker();
    const message = { key: Buffer.from("k"), value: Buffer.from("v") };
    for (const m of [
      { ...message, timestamp: "5" },
      { ...message, headers: { h: "x" } },
      { ...message, value: "v" },
    ]) {
      await broker.produce({ ...request, topicData: [{ topic: "t", partitions: [{ partition: 0, messages: [m] }] }] });
    }
    await broker.produce({ ...request, compression: 1 });
    expect(sent.map((r) => typeof r.encode())).toEqual(["string", "string", "string", "string"]);
  });
});
