/**
 * The producer's partitioner: Kafka's default (the Java client's `murmur2` of the key, modulo the
 * partitions; round robin over the available partitions for a record with no key; a record's own
 * partition when it names one), as kafkajs' `Partitioners.DefaultPartitioner` is, so records land
 * on the same partitions, but with `murmur2` in 32-bit integer arithmetic (`Math.imul`): kafkajs
 * computes it on 64-bit `Long` objects, a dozen allocations per record, and filters the partitions
 * for availability at every record, keyed or not.
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  switch (length & 3) {
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: murmur2 takes the 3, 2 or 1 trailing bytes in turn
    case 3:
      h ^= data[whole + 2]! << 16;
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: as above
    case 2:
      h ^= data[whole + 1]! << 8;
    case 1:
      h ^= data[whole]!;
      h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

interface PartitionerArgs {
  readonly topic: string;
  readonly partitionMetadata: readonly { readonly partitionId: number; readonly leader: number }[];
  readonly message: { readonly key?: Buffer | string | null; readonly partition?: number | null };
}

/** The partition list `defaultPartitioner` was last called with (read and cleared by `lastPartitionList`). */
let lastList: PartitionerArgs["partitionMetadata"] | undefined;

/**
 * The partition list a partitioner of `defaultPartitioner` was called with since the last call of
 * this function, if one was: linear-grouping.ts then places the other keyed records of the same
 * request itself, as that partitioner would.
 */
export function lastPartitionList(): PartitionerArgs["partitionMetadata"] | undefined {
  const list = lastList;
  lastList = undefined;
  return list;
}

/** The partition of a record with `key` among `partitions` partitions: Kafka's default for a keyed record. */
export const keyPartition = (key: Uint8Array, partitions: number): number => (murmur2(key) & 0x7fffffff) % partitions;

/** A kafkajs `createPartitioner`: Kafka's default partitioning (see `murmur2`). */
export const defaultPartitioner = () => {
  const counters = new Map<string, number>();
  return ({ topic, partitionMetadata, message }: PartitionerArgs): number => {
    lastList = partitionMetadata;
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const key = message.key;
    if (key !== null && key !== undefined) {
      return keyPartition(typeof key === "string" ? Buffer.from(key) : key, partitionMetadata.length);
    }
    const next = ((counters.get(topic) ?? Math.floor(Math.random() * 0x7fffffff)) + 1) & 0x7fffffff;
    counters.set(topic, next);
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    return available.length > 0 ? available[next % available.length]!.partitionId : next % partitionMetadata.length;
  };
};
