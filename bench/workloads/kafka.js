// Kafka end to end: records produced to an 8-partition topic (10,000 keys), a counter function per
// key (the record key is the id), one egress record per input to another topic, read by a
// `read_committed` consumer. Latency is end to end: from the produce time (carried in the record
// value) to the time the consumer sees the output. One broker (scripts/kafka/broker.sh, Kafka 4.1.1
// from Maven Central) on this machine; the worker (SQLite, fsync), the producer and the consumer
// share this process. `--semantic exactly-once` or `at-least-once`; two kinds of row each:
// saturation (`--records` produced at once: throughput) and open loop (each rate of `--rates`
// held for `--seconds`: per-record latency at that load).
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import { silentLogger } from "../../packages/runtime/dist/index.js";
import { customType, kafkaEgress, statefulFunction, statefunModule, Types, valueSpec } from "../../packages/sdk/dist/index.js";
import { parseModuleYaml, startServer } from "../../packages/server/dist/index.js";
import { arg, peakRssMiB, percentile, report, sleep, tempDir } from "./common.js";

const records = arg("records", 100_000);
const keys = arg("keys", 10_000);
const seconds = arg("seconds", 10);
const rates = (process.argv.includes("--rates") ? process.argv[process.argv.indexOf("--rates") + 1] : "10000,20000")
  .split(",")
  .map(Number)
  .filter((rate) => rate > 0);
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
  // One read_committed consumer of the output for both phases; `phase` collects the current one.
  let phase = { latencies: [], first: 0, last: 0, want: Number.POSITIVE_INFINITY, done: () => {} };
  const consumer = kafka.consumer({ groupId: "bench-reader", readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic: "bench-out", fromBeginning: true });
  await consumer.run({
    // No offset commits: on the fetch's connection they would delay the fetches behind them.
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      const p = phase;
      for (const m of batch.messages) p.latencies.push(now - Number(m.value.toString()));
      p.last = now;
      if (p.latencies.length >= p.want) p.done();
    },
  });
  // Wait until the worker's consumer is in its group.
  while ((await fetch(`http://127.0.0.1:${server.ports.admin}/readyz`)).status !== 200) await sleep(100);
  const producer = kafka.producer();
  await producer.connect();
  const startPhase = (want) =>
    new Promise((resolve) => {
      phase = { latencies: [], first: Date.now(), last: 0, want, done: resolve };
    });
  const awaitPhase = async (finished, want) => {
    const timeout = sleep(300_000).then(() => "timeout");
    if ((await Promise.race([finished, timeout])) === "timeout")
      throw new Error(`only ${phase.latencies.length} of ${want} outputs within 300 s`);
  };
  const mode = `${semantic} egress, 8 partitions, ${keys} keys, SQLite fsync, broker on this machine`;

  // Saturation: every record produced at once, as fast as the broker takes them; throughput only
  // (a record's latency here is mostly the backlog ahead of it).
  {
    const finished = startPhase(records);
    const inFlight = [];
    for (let i = 0; i < records; i += 1_000) {
      const messages = [];
      for (let j = i; j < Math.min(records, i + 1_000); j++) messages.push({ key: `k${j % keys}`, value: String(Date.now()) });
      inFlight.push(producer.send({ topic: "bench-in", messages, acks: -1 }));
      if (inFlight.length >= 8) await inFlight.shift();
    }
    await Promise.all(inFlight);
    await awaitPhase(finished, records);
    report({
      workload: "kafka",
      mode: `${mode}; saturation: ${records} records produced at once`,
      msgsPerSec: Math.round(records / ((phase.last - phase.first) / 1000)),
      latency: "none (backlog drain)",
      peakRssMiB: peakRssMiB(),
    });
  }

  // Open loop: records produced at a fixed rate for `seconds`, each stamped with the time it was
  // due (not when it went out, so a stalled producer does not hide latency); p50/p99 are per record,
  // from that time to the read_committed consumer seeing the output.
  for (const rate of rates) {
    const total = Math.round(rate * seconds);
    const finished = startPhase(total);
    const start = Date.now();
    let produced = 0;
    const inFlight = new Set();
    while (produced < total) {
      const due = Math.min(total, Math.floor(((Date.now() - start) * rate) / 1000));
      if (due > produced) {
        const messages = [];
        for (; produced < due; produced++)
          messages.push({ key: `k${produced % keys}`, value: String(start + Math.floor((produced * 1000) / rate)) });
        const sent = producer.send({ topic: "bench-in", messages, acks: -1 });
        inFlight.add(sent);
        sent.finally(() => inFlight.delete(sent));
      }
      await sleep(5);
    }
    await Promise.all(inFlight);
    await awaitPhase(finished, total);
    report({
      workload: "kafka",
      mode: `${mode}; open loop: ${rate} records/s for ${seconds} s`,
      msgsPerSec: Math.round(total / ((phase.last - start) / 1000)),
      p50ms: percentile(phase.latencies, 50),
      p99ms: percentile(phase.latencies, 99),
      latency: "per record, due time to read_committed consume",
      peakRssMiB: peakRssMiB(),
    });
  }
  await producer.disconnect();
  await consumer.disconnect();
} finally {
  await server?.close();
  execFileSync("bash", [BROKER, "stop", `${dir}/broker`]);
  remove();
}
// kafkajs leaves sockets and timers behind its disconnects: end here, the work is done.
process.exit();
