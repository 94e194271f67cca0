import { createRequire } from "node:module";
import { Partitioners } from "kafkajs";
import { describe, expect, it } from "vitest";
import { linearGrouping } from "./linear-grouping.js";
import { defaultPartitioner } from "./partitioner.js";

// kafkajs' own grouping (its module is not exported: loaded by path from the package).
const require = createRequire(import.meta.url);
const kafkajsMain = require.resolve("kafkajs");
const groupMessagesPerPartition = require(kafkajsMain.replace(/index\.js$/, "src/producer/groupMessagesPerPartition.js")) as (o: {
  topic: string;
  partitionMetadata: unknown[];
  messages: unknown[];
  partitioner: unknown;
}) => Record<string, unknown[]>;

const partitionMetadata = Array.from({ length: 8 }, (_, partition) => ({ partitionId: partition, leader: 1 }));

describe("linearGrouping", () => {
  it("groups a produce request's records by partition exactly as kafkajs does, calling its partitioner once per record", () => {
    const messages = Array.from({ length: 3_000 }, (_, i) => ({
      key: i % 7 === 0 ? null : Buffer.from(`k${i % 500}`),
      value: Buffer.from(String(i)),
      ...(i % 11 === 0 ? { partition: 3 } : {}),
    }));
    // Two copies of one partitioner: kafkajs' default for records with a key or a partition, and
    // round robin from 0 for the others (kafkajs' starts at random).
    const partitioner = () => {
      const hashed = Partitioners.DefaultPartitioner() as (o: unknown) => number;
      let next = 0;
      return (o: { message: { key: unknown; partition?: number } }) =>
        o.message.key === null && o.message.partition === undefined ? next++ % 8 : hashed(o);
    };
    const [ours, theirs] = [partitioner(), partitioner()];
    const expected = groupMessagesPerPartition({ topic: "t", partitionMetadata, messages, partitioner: theirs });
    let calls = 0;
    const counting = (o: unknown) => {
      calls++;
      return ours(o as { message: { key: unknown } });
    };
    const grouped = groupMessagesPerPartition({
      topic: "t",
      partitionMetadata,
      messages: linearGrouping([...messages]),
      partitioner: counting,
    });
    expect(calls).toBe(3_000);
    expect(Object.keys(grouped).sort()).toEqual(Object.keys(expected).sort());
    for (const partition of Object.keys(expected)) expect(grouped[partition]).toEqual(expected[partition]);
    // Every record once, in its order within each partition.
    expect(Object.values(grouped).flat()).toHaveLength(3_000);
  });

  it("with the package's partitioner, places keyed records itself as that partitioner would, after one call of it", () => {
    const messages = Array.from({ length: 3_000 }, (_, i) => ({
      key: i % 7 === 0 ? `s${i}` : Buffer.from(`k${i % 500}`),
      value: Buffer.from(String(i)),
      ...(i % 11 === 0 ? { partition: 3 } : {}),
    }));
    const expected = groupMessagesPerPartition({ topic: "t", partitionMetadata, messages, partitioner: defaultPartitioner() });
    const partitioner = defaultPartitioner();
    let calls = 0;
    const counting = (o: { topic: string; partitionMetadata: typeof partitionMetadata; message: { key: Buffer | string } }) => {
      calls++;
      return partitioner(o);
    };
    const grouped = groupMessagesPerPartition({
      topic: "t",
      partitionMetadata,
      messages: linearGrouping([...messages]),
      partitioner: counting,
    });
    // The first record, and the records with a string key or a partition of their own.
    expect(calls).toBe(1 + messages.slice(1).filter((m) => typeof m.key === "string" || "partition" in m).length);
    expect(Object.keys(grouped).sort()).toEqual(Object.keys(expected).sort());
    for (const partition of Object.keys(expected)) expect(grouped[partition]).toEqual(expected[partition]);
    expect(Object.values(grouped).flat()).toHaveLength(3_000);
  });

  it("leaves the array's other methods and its elements as they are", () => {
    const messages = linearGrouping([{ value: 1 }, { value: 2 }]);
    expect(messages.map((m) => m.value)).toEqual([1, 2]);
    expect(Object.keys(messages)).toEqual(["0", "1"]);
    expect(JSON.stringify(messages)).toBe('[{"value":1},{"value":2}]');
  });
});
