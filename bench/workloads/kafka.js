// Kafka end to end: records produced to an 8-partition topic (10,000 keys), a counter function per
// key (the record key is the id), one egress record per input to another topic, read by a
// `read_committed` consumer. Latency is end to end: from the produce time (carried in the record
// value) to the time the consumer sees the output. One broker (scripts/kafka/broker.sh, Kafka 4.1.1
// from Maven Central) on this machine; the worker (SQLite, fsync), the producer and the consumer
// share this process. Rows: `--semantic exactly-once` and `at-least-once`.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import { silentLogger } from "../../packages/runtime/dist/index.js";
import { customType, kafkaEgress, statefulFunction, statefunModule, Types, valueSpec } from "../../packages/sdk/dist/index.js";
import { parseModuleYaml, startServer } from "../../packages/server/dist/index.js";
import { arg, peakRssMiB, percentile, report, sleep, tempDir } from "./common.js";

const records = arg("records", 100_000);
const keys = arg("keys", 10_000);
const semantic = process.argv.includes("--semantic") ? process.argv[process.argv.indexOf("--semantic") + 1] : "exactly-once";
const BROKER = fileURLToPath(new URL("../../scripts/kafka/broker.sh", import.meta.url));

const utf8 = new TextEncoder();
const text = new TextDecoder();
const Text = customType("bench/text", { serialize: (s) => utf8.encode(s), deserialize: (b) => text.decode(b) });
const out = kafkaEgress("bench/out");
const count = valueSpec("count", Types.int);
const counter = statefulFunction({
  typename: "bench/kafka-counter",
  accepts: [Text],
  state: { count },
  handler(ctx, message) {
    const sentAt = message.as(Text);
    ctx.state.count.set((ctx.state.count.get() ?? 0) + 1);
    ctx.egress(out, { topic: "bench-out", key: ctx.self.id, value: sentAt });
  },
});

const { dir, remove } = tempDir("kafka");
const brokers = execFileSync("bash", [BROKER, "start", `${dir}/broker`], { encoding: "utf8" }).trim();
const kafka = new Kafka({ clientId: "bench", brokers: [brokers], logLevel: logLevel.NOTHING });
let server;
try {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: "bench-in", numPartitions: 8 },
      { topic: "bench-out", numPartitions: 8 },
    ],
    waitForLeaders: true,
  });
  await admin.disconnect();
  const yaml = `kind: io.statefun.kafka.v1/ingress
spec:
  id: bench/in
  address: ${brokers}
  consumerGroupId: bench
  startupPosition:
    type: earliest
  topics:
    - topic: bench-in
      valueType: bench/text
      targets:
        - bench/kafka-counter
---
kind: io.statefun.kafka.v1/egress
spec:
  id: bench/out
  address: ${brokers}
  deliverySemantic:
    type: ${semantic}
`;
  server = await startServer({
    modules: [statefunModule({ functions: [counter] }), await parseModuleYaml(yaml, "bench.yaml")],
    dataDir: `${dir}/data`,
    ports: { admin: 0, ingress: 0, egress: 0 },
    logger: silentLogger,
  });
  const latencies = [];
  let firstProduced = 0;
  let lastSeen = 0;
  const consumer = kafka.consumer({ groupId: "bench-reader", readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic: "bench-out", fromBeginning: true });
  let done;
  const finished = new Promise((resolve) => {
    done = resolve;
  });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      for (const m of batch.messages) latencies.push(now - Number(m.value.toString()));
      lastSeen = now;
      if (latencies.length >= records) done();
    },
  });
  // Wait until the worker's consumer is in its group, then produce as fast as the broker takes it.
  while ((await fetch(`http://127.0.0.1:${server.ports.admin}/readyz`)).status !== 200) await sleep(100);
  const producer = kafka.producer();
  await producer.connect();
  firstProduced = Date.now();
  const inFlight = [];
  for (let i = 0; i < records; i += 1_000) {
    const messages = [];
    for (let j = i; j < Math.min(records, i + 1_000); j++) messages.push({ key: `k${j % keys}`, value: String(Date.now()) });
    inFlight.push(producer.send({ topic: "bench-in", messages, acks: -1 }));
    if (inFlight.length >= 8) await inFlight.shift();
  }
  await Promise.all(inFlight);
  await producer.disconnect();
  const timeout = sleep(300_000).then(() => "timeout");
  if ((await Promise.race([finished, timeout])) === "timeout")
    throw new Error(`only ${latencies.length} of ${records} outputs within 300 s`);
  await consumer.disconnect();
  const seconds = (lastSeen - firstProduced) / 1000;
  report({
    workload: "kafka",
    mode: `${semantic} egress, 8 partitions, ${keys} keys, SQLite fsync, broker on this machine`,
    msgsPerSec: Math.round(records / seconds),
    p50ms: percentile(latencies, 50),
    p99ms: percentile(latencies, 99),
    latency: "produce to read_committed consume",
    peakRssMiB: peakRssMiB(),
  });
} finally {
  await server?.close();
  execFileSync("bash", [BROKER, "stop", `${dir}/broker`]);
  remove();
}
// kafkajs leaves sockets and timers behind its disconnects: end here, the work is done.
process.exit();
