import { createRequire } from "node:module";
import { Partitioners } from "kafkajs";
import { describe, expect, it } from "vitest";
import { defaultPartitioner, murmur2 } from "./partitioner.js";

// kafkajs' own murmur2 (its module is not exported: loaded by path from the package).
const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require(require.resolve("kafkajs").replace(/index\.js$/, "src/producer/partitioners/default/murmur2.js")) as (
  key: Buffer,
) => number;

describe("the producer's partitioner", () => {
  it("hashes keys of every length as kafkajs' murmur2 (the Java client's) does", () => {
    let seed = 1;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return seed;
    };
    for (let n = 0; n < 2_000; n++) {
      const key = Buffer.alloc(n % 23);
      for (let i = 0; i < key.length; i++) key[i] = random() & 0xff;
      expect(murmur2(key), key.toString("hex")).toBe(kafkajsMurmur2(key));
    }
    // Known values of the Java client (its DefaultPartitionerTest and Utils.murmur2 tests).
    expect(murmur2(Buffer.from("21"))).toBe(-973932308);
    expect(murmur2(Buffer.from("foobar"))).toBe(-790332482);
  });

  it("puts keyed records and records naming a partition where kafkajs' default partitioner does", () => {
    const partitionMetadata = Array.from({ length: 8 }, (_, partition) => ({ partitionId: partition, leader: 1 }));
    const ours = defaultPartitioner();
    const theirs = Partitioners.DefaultPartitioner() as unknown as typeof ours;
    for (let i = 0; i < 5_000; i++) {
      const message =
        i % 13 === 0 ? { key: Buffer.from(`k${i}`), partition: i % 8 } : { key: i % 2 === 0 ? Buffer.from(`k${i}`) : `s${i}` };
      expect(ours({ topic: "t", partitionMetadata, message })).toBe(theirs({ topic: "t", partitionMetadata, message }));
    }
  });

  it("spreads records with no key round robin over the partitions that have a leader", () => {
    const partitionMetadata = [
      { partitionId: 0, leader: 1 },
      { partitionId: 1, leader: -1 },
      { partitionId: 2, leader: 1 },
    ];
    const partition = defaultPartitioner();
    const seen = Array.from({ length: 6 }, () => partition({ topic: "t", partitionMetadata, message: { key: null } }));
    expect(new Set(seen)).toEqual(new Set([0, 2]));
    expect(seen.filter((p) => p === 0)).toHaveLength(3);
  });
});
