// The load of the Kafka workload (bench/workloads/kafka.js), in a process of its own so that the
// producer and the reader never wait for the worker's event loop (nor it for theirs). One phase per
// run: `saturation` produces `--records` records at once, as fast as the broker takes them; `open`
// produces `--rate` records/s for `--seconds`, each stamped with the time it was due. A
// read_committed reader (a new group, from the end of the output topic as the phase starts,
// counting only records stamped at or after the phase's start) takes every output and its latency. Prints one JSON line:
// { first, last, count, p50ms, p99ms, cpuMicros } (epoch ms; latencies from each record's stamp; this process's CPU).
// `--timeline MS`: also writes to stderr, for each MS of due time, the count, p50, p99 and max
// latency of the records due then, and when outputs were seen (where in the phase a tail comes from).
import { logLevel } from "kafkajs";
import { FastCodecKafka } from "../../packages/kafka/dist/kafkajs-codecs.js";
import { linearGrouping } from "../../packages/kafka/dist/linear-grouping.js";
import { defaultPartitioner } from "../../packages/kafka/dist/partitioner.js";
import { arg, percentile, sleep } from "./common.js";

const [brokers, mode] = process.argv.slice(2);
const records = arg("records", 100_000);
const rate = arg("rate", 10_000);
const seconds = arg("seconds", 10);
const keys = arg("keys", 10_000);
const timeline = arg("timeline", 0);
// kafkajs with the worker's Produce encoding and Fetch decoding (packages/kafka/src/kafkajs-codecs.ts): the
// load generator shares the machine's 2 cores with the worker and the broker, and kafkajs' own codecs
// cost it about 15 µs per record produced and read.
const kafka = new FastCodecKafka({ clientId: "bench-load", brokers: [brokers], logLevel: logLevel.NOTHING });
const total = mode === "saturation" ? records : Math.round(rate * seconds);

const start = Date.now();
const latencies = [];
/** With `--timeline`: each output's stamp, and when a batch of outputs was seen (its time and size). */
const stamps = [];
const seen = [];
let last = 0;
let done;
const finished = new Promise((resolve) => {
  done = resolve;
});
const group = `bench-reader-${process.pid}-${start}`;
// The reader starts at the end of the output topic (the group's offsets set there before it joins),
// not at its beginning: the outputs of the phases before (100,000s of records) would be read first,
// and the first records of this phase would wait behind them (a tail of the load, not the worker).
{
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets("bench-out");
  await admin.setOffsets({ groupId: group, topic: "bench-out", partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })) });
  await admin.disconnect();
}
const reader = kafka.consumer({ groupId: group, readUncommitted: false });
let joined;
const inGroup = new Promise((resolve) => {
  joined = resolve;
});
reader.on(reader.events.GROUP_JOIN, () => joined());
await reader.connect();
await reader.subscribe({ topic: "bench-out", fromBeginning: true });
await reader.run({
  // No offset commits: on the fetch's connection they would delay the fetches behind them.
  autoCommit: false,
  eachBatch: async ({ batch }) => {
    const now = Date.now();
    for (const m of batch.messages) {
      const stamp = Number(m.value.toString());
      if (stamp >= start) {
        latencies.push(now - stamp);
        if (timeline > 0) stamps.push(stamp);
      }
    }
    if (timeline > 0) seen.push([now, batch.messages.length]);
    last = now;
    if (latencies.length >= total) done();
  },
});
await inGroup;

/** The key of the `i`th record, as Buffer (the fast encoding takes Buffers). */
const keyOf = (i) => Buffer.from(`k${i % keys}`);
// kafkajs' default partitioning without its per-record allocations, as the worker's egress (packages/kafka/src/partitioner.ts).
const producer = kafka.producer({ createPartitioner: defaultPartitioner });
await producer.connect();
const first = Date.now();
if (mode === "saturation") {
  const inFlight = [];
  // Requests of 5,000 records, grouped by partition in linear time as the worker's egress does
  // (packages/kafka/src/linear-grouping.ts): the load generator shares the machine's 2 cores.
  for (let i = 0; i < records; i += 5_000) {
    const messages = [];
    for (let j = i; j < Math.min(records, i + 5_000); j++) messages.push({ key: keyOf(j), value: Buffer.from(String(Date.now())) });
    inFlight.push(producer.send({ topic: "bench-in", messages: linearGrouping(messages), acks: -1 }));
    if (inFlight.length >= 4) await inFlight.shift();
  }
  await Promise.all(inFlight);
} else {
  let produced = 0;
  const inFlight = new Set();
  while (produced < total) {
    const due = Math.min(total, Math.floor(((Date.now() - first) * rate) / 1000));
    if (due > produced) {
      const messages = [];
      for (; produced < due; produced++)
        messages.push({ key: keyOf(produced), value: Buffer.from(String(first + Math.floor((produced * 1000) / rate))) });
      const sent = producer.send({ topic: "bench-in", messages: linearGrouping(messages), acks: -1 });
      inFlight.add(sent);
      sent.finally(() => inFlight.delete(sent));
    }
    await sleep(5);
  }
  await Promise.all(inFlight);
}
await producer.disconnect();
const timeout = sleep(300_000).then(() => "timeout");
if ((await Promise.race([finished, timeout])) === "timeout") {
  process.stderr.write(`kafka-load: only ${latencies.length} of ${total} outputs within 300 s\n`);
  process.exit(1);
}
if (timeline > 0) writeTimeline();
const used = process.cpuUsage();
const result = {
  first,
  last,
  count: latencies.length,
  p50ms: percentile(latencies, 50),
  p99ms: percentile(latencies, 99),
  cpuMicros: used.user + used.system,
};
// kafkajs leaves sockets and timers behind its disconnects: end once the line is out, the work is done.
process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));

/** Per `timeline` ms of due time (from the first record): records, p50/p99/max latency; and outputs seen per slot. */
function writeTimeline() {
  const slots = new Map();
  for (let i = 0; i < stamps.length; i++) {
    const slot = Math.floor((stamps[i] - first) / timeline);
    const list = slots.get(slot);
    if (list === undefined) slots.set(slot, [latencies[i]]);
    else list.push(latencies[i]);
  }
  const arrived = new Map();
  for (const [at, n] of seen) {
    const slot = Math.floor((at - first) / timeline);
    arrived.set(slot, (arrived.get(slot) ?? 0) + n);
  }
  const lines = [
    `kafka-load timeline (${timeline} ms slots from the first record due): due, records, p50/p99/max ms, outputs seen in the slot`,
  ];
  const end = Math.max(...slots.keys(), ...arrived.keys());
  for (let slot = 0; slot <= end; slot++) {
    const list = slots.get(slot) ?? [];
    const stats = list.length === 0 ? "-" : `${percentile(list, 50)}/${percentile(list, 99)}/${Math.max(...list)}`;
    lines.push(`  ${slot * timeline} ms: ${list.length} ${stats} seen ${arrived.get(slot) ?? 0}`);
  }
  process.stderr.write(`${lines.join("\n")}\n`);
}
