import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { decodeFetchResponse } from "./fetch-decoding.js";

// kafkajs' own Fetch v11 response decoder and record batch encoders: loaded by path from the package.
const require = createRequire(import.meta.url);
const kafkajsDir = require.resolve("kafkajs").replace(/index\.js$/, "src/");
const kafkajsFetchV11 = require(`${kafkajsDir}protocol/requests/fetch/v11/response.js`) as { decode: (raw: Buffer) => Promise<unknown> };
const { RecordBatch } = require(`${kafkajsDir}protocol/recordBatch/v0/index.js`) as {
  RecordBatch: (options: Record<string, unknown>) => Promise<{ buffer: Buffer }>;
};
const Record = require(`${kafkajsDir}protocol/recordBatch/record/v0/index.js`) as (options: Record<string, unknown>) => unknown;
const Long = require(`${kafkajsDir}utils/long.js`) as { fromString: (s: string) => unknown };

let seed = 11;
const random = () => {
  seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
  return seed;
};
const bytes = (length: number) => Buffer.from(Array.from({ length }, () => random() & 0xff));

interface BatchOptions {
  firstOffset: string;
  records: number;
  transactional?: boolean;
  control?: boolean;
  logAppendTime?: boolean;
  compression?: number;
  headers?: boolean;
}

/** A record batch as a broker sends it (kafkajs' encoder; control and log-append-time flags set in the attributes, the CRC left as it is: no one checks it). */
async function batch(o: BatchOptions): Promise<Buffer> {
  const records = Array.from({ length: o.records }, (_, i) =>
    Record({
      offsetDelta: i,
      timestampDelta: i % 3 === 0 ? 0 : i * 1_000_003,
      key: i % 5 === 0 ? null : bytes(random() % 30),
      value: i % 9 === 4 ? null : bytes(i % 7 === 3 ? 300 + (random() % 3000) : random() % 60),
      headers: o.headers && i % 2 === 0 ? { a: bytes(3), b: [bytes(2), bytes(1)], [`h${i}`]: "x" } : {},
    }),
  );
  const encoded = (
    await RecordBatch({
      compression: o.compression ?? 0,
      records,
      firstOffset: Long.fromString(o.firstOffset),
      firstTimestamp: 1_764_800_000_000 + (random() % 100_000),
      maxTimestamp: 1_764_800_900_000,
      producerId: o.transactional ? Long.fromString("4021") : Long.fromString("-1"),
      producerEpoch: o.transactional ? 3 : -1,
      firstSequence: random() % 1000,
      transactional: o.transactional === true,
      lastOffsetDelta: o.records - 1,
      partitionLeaderEpoch: 7,
    })
  ).buffer;
  const attributesAt = 8 + 4 + 4 + 1 + 4;
  const flags = (o.control ? 0x20 : 0) | (o.logAppendTime ? 0x8 : 0);
  encoded.writeInt16BE(encoded.readInt16BE(attributesAt) | flags, attributesAt);
  return encoded;
}

function int64(value: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(value);
  return b;
}
const int32 = (v: number) => Buffer.from([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
const int16 = (v: number) => Buffer.from([(v >>> 8) & 0xff, v & 0xff]);
const string = (s: string) => Buffer.concat([int16(Buffer.byteLength(s)), Buffer.from(s)]);

/** A Fetch v11 response of `topics`, each partition's record set the batches given (cut `cut` bytes short: a partial batch at the end). */
function response(topics: { name: string; partitions: { batches: Buffer[]; cut?: number; aborted?: [bigint, bigint][] }[] }[]): Buffer {
  const parts: Buffer[] = [int32(3), int16(0), int32(123456), int32(topics.length)];
  for (const t of topics) {
    parts.push(string(t.name), int32(t.partitions.length));
    t.partitions.forEach((p, i) => {
      const set = Buffer.concat(p.batches);
      const records = set.subarray(0, set.length - (p.cut ?? 0));
      parts.push(int32(i), int16(0), int64(1000n + BigInt(i)), int64(990n), int64(0n), int32(p.aborted?.length ?? 0));
      for (const [producer, first] of p.aborted ?? []) parts.push(int64(producer), int64(first));
      parts.push(int32(-1), int32(p.batches.length === 0 ? -1 : records.length), records);
    });
  }
  return Buffer.concat(parts);
}

describe("the Fetch response decoding", () => {
  it("gives kafkajs' objects: plain, transactional, control and log-append-time batches, headers, aborted transactions, a partial batch at the end, offsets past 2^53", async () => {
    const raws: Buffer[] = [];
    for (let n = 0; n < 12; n++) {
      raws.push(
        response([
          {
            name: `topic-${n}-é`,
            partitions: [
              { batches: [await batch({ firstOffset: String(n * 1000), records: 1 + (random() % 200) })] },
              {
                batches: [
                  await batch({ firstOffset: "5", records: 20, transactional: true, headers: true }),
                  await batch({ firstOffset: "25", records: 1, transactional: true, control: true }),
                  await batch({ firstOffset: "26", records: 30, logAppendTime: true }),
                ],
                aborted: [[4021n, 5n]],
              },
              { batches: [await batch({ firstOffset: "9007199254740950", records: 100 })] },
              { batches: [] },
              { batches: [await batch({ firstOffset: "40", records: 10 }), await batch({ firstOffset: "50", records: 10 })], cut: 1 + n },
            ],
          },
          { name: "other", partitions: [{ batches: [await batch({ firstOffset: "0", records: 3 })] }] },
        ]),
      );
    }
    for (const raw of raws) {
      const ours = decodeFetchResponse(raw);
      expect(ours).toBeDefined();
      expect(ours).toEqual(await kafkajsFetchV11.decode(raw));
    }
  });

  it("leaves a response with a compressed batch to kafkajs", async () => {
    const raw = response([
      { name: "t", partitions: [{ batches: [await batch({ firstOffset: "0", records: 4 })] }] },
      { name: "u", partitions: [{ batches: [await batch({ firstOffset: "0", records: 4, compression: 1 })] }] },
    ]);
    expect(decodeFetchResponse(raw)).toBeUndefined();
  });
});
