// Kafka end to end: records produced to an 8-partition topic (10,000 keys), a counter function per
// key (the record key is the id), one egress record per input to another topic, read by a
// `read_committed` consumer. Latency is end to end: from the produce time (carried in the record
// value) to the time the consumer sees the output. One broker (scripts/kafka/broker.sh, Kafka 4.1.1
// from Maven Central) on this machine; the worker (SQLite, fsync) runs in this process, the producer
// and the reader in another (bench/workloads/kafka-load.js, one per phase). `--semantic exactly-once` or `at-least-once`; two kinds of row each:
// saturation (`--records` produced at once: throughput) and open loop (each rate of `--rates`
// held for `--seconds`: per-record latency at that load).
import { execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import { silentLogger } from "../../packages/runtime/dist/index.js";
import { customType, kafkaEgress, statefulFunction, statefunModule, Types, valueSpec } from "../../packages/sdk/dist/index.js";
import { parseModuleYaml, startServer } from "../../packages/server/dist/index.js";
import { arg, mainThreadCpuMicros, peakRssMiB, processCpuMicros, report, sleep, tempDir } from "./common.js";

const records = arg("records", 100_000);
const keys = arg("keys", 10_000);
const seconds = arg("seconds", 10);
const rates = (process.argv.includes("--rates") ? process.argv[process.argv.indexOf("--rates") + 1] : "10000,20000")
  .split(",")
  .map(Number)
  .filter((rate) => rate > 0);
// `--timeline MS`: the load generator writes the latency per MS of the open-loop phases to stderr (kafka-load.js).
const timeline = arg("timeline", 0);
// `--threads`: the worker's CPU per record of each of its threads (Linux), to stderr, after each phase.
const threads = process.argv.includes("--threads");
const semantic = process.argv.includes("--semantic") ? process.argv[process.argv.indexOf("--semantic") + 1] : "exactly-once";
const BROKER = fileURLToPath(new URL("../../scripts/kafka/broker.sh", import.meta.url));
const LOAD = fileURLToPath(new URL("./kafka-load.js", import.meta.url));

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
const brokerPid = Number(readFileSync(`${dir}/broker/broker.pid`, "utf8"));
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
  // Wait until the worker's consumer is in its group.
  while ((await fetch(`http://127.0.0.1:${server.ports.admin}/readyz`)).status !== 200) await sleep(100);
  const mode = `${semantic} egress, 8 partitions, ${keys} keys, SQLite fsync, broker on this machine, load from another process`;

  // Saturation: every record produced at once; throughput only (a record's latency here is mostly
  // the backlog ahead of it). `--records 0` skips it.
  if (records > 0) {
    const cpu = process.cpuUsage();
    const main = mainThreadCpuMicros();
    const broker = processCpuMicros(brokerPid);
    const machine = sampleMachine();
    const perThread = threadCpu();
    const r = await load(["saturation", "--records", String(records)]);
    if (threads) printThreads(perThread, r.count);
    report({
      workload: "kafka",
      mode: `${mode}; saturation: ${records} records produced at once`,
      msgsPerSec: Math.round(r.count / ((r.last - r.first) / 1000)),
      ...cpuPerMessage(cpu, main, r.count),
      ...otherCpuPerMessage(broker, r),
      machineBusyPct: machine.busyPct(r.first, r.last),
      latency: "none (backlog drain)",
      peakRssMiB: peakRssMiB(),
    });
  }

  // Open loop: records produced at a fixed rate for `seconds`, each stamped with the time it was
  // due (a stalled producer does not hide latency); p50/p99 are per record, from that time to the
  // read_committed reader seeing the output.
  for (const rate of rates) {
    const cpu = process.cpuUsage();
    const main = mainThreadCpuMicros();
    const broker = processCpuMicros(brokerPid);
    const machine = sampleMachine();
    const perThread = threadCpu();
    const r = await load(["open", "--rate", String(rate), "--seconds", String(seconds), "--timeline", String(timeline)]);
    if (threads) printThreads(perThread, r.count);
    report({
      workload: "kafka",
      mode: `${mode}; open loop: ${rate} records/s for ${seconds} s`,
      msgsPerSec: Math.round(r.count / ((r.last - r.first) / 1000)),
      ...cpuPerMessage(cpu, main, r.count),
      ...otherCpuPerMessage(broker, r),
      machineBusyPct: machine.busyPct(r.first, r.last),
      p50ms: r.p50ms,
      p99ms: r.p99ms,
      latency: "per record, due time to read_committed consume",
      peakRssMiB: peakRssMiB(),
    });
  }

  /** The worker's CPU (this process: all threads, and the main thread alone) per record since `cpu`/`main`. */
  function cpuPerMessage(cpu, main, count) {
    const used = process.cpuUsage(cpu);
    return {
      cpuMicrosPerMsg: (used.user + used.system) / count,
      mainThreadCpuMicrosPerMsg: (mainThreadCpuMicros() - main) / count,
    };
  }

  /** The broker's CPU (since `broker`) and the load generator's (producer and reader, whole run) per record. */
  function otherCpuPerMessage(broker, r) {
    return {
      brokerCpuMicrosPerMsg: Math.round((processCpuMicros(brokerPid) - broker) / r.count),
      loadCpuMicrosPerMsg: Math.round(r.cpuMicros / r.count),
    };
  }

  /** CPU microseconds of each thread of this process, by thread id (with its name). */
  function threadCpu() {
    const out = new Map();
    for (const tid of readdirSync("/proc/self/task")) {
      try {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
        const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        out.set(tid, { name, micros: (Number(fields[11]) + Number(fields[12])) * 10_000 });
      } catch {}
    }
    return out;
  }

  /** Writes to stderr each thread's CPU per record since `before` (threads under 0.1 µs left out). */
  function printThreads(before, count) {
    const rows = [];
    for (const [tid, { name, micros }] of threadCpu()) {
      const used = (micros - (before.get(tid)?.micros ?? 0)) / count;
      if (used >= 0.1) rows.push(`${name}[${tid}] ${used.toFixed(1)}`);
    }
    process.stderr.write(`threads, CPU µs/record: ${rows.join(", ")}\n`);
  }

  /** Jiffies of the whole machine from /proc/stat: busy (user+nice+system+irq+softirq) and total. */
  function machineCpu() {
    const [, ...fields] = readFileSync("/proc/stat", "utf8").split("\n", 1)[0].trim().split(/\s+/);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.map(Number);
    return { busy: user + nice + system + irq + softirq, total: user + nice + system + idle + iowait + irq + softirq + steal };
  }

  /**
   * Samples /proc/stat every 100 ms until `busyPct(first, last)` is asked: the share of the whole
   * machine's CPU busy (worker, broker, load generator and anything else) from `first` to `last`
   * (epoch ms, the measured window of the phase), in %.
   */
  function sampleMachine() {
    const samples = [{ at: Date.now(), ...machineCpu() }];
    const timer = setInterval(() => samples.push({ at: Date.now(), ...machineCpu() }), 100);
    return {
      busyPct(first, last) {
        clearInterval(timer);
        samples.push({ at: Date.now(), ...machineCpu() });
        const from = samples.findLast((s) => s.at <= first) ?? samples[0];
        const to = samples.find((s) => s.at >= last) ?? samples.at(-1);
        return Math.round(((to.busy - from.busy) / (to.total - from.total)) * 100);
      },
    };
  }

  /** Runs one phase of bench/workloads/kafka-load.js; resolves with what it measured. */
  async function load(args) {
    const child = spawn(process.execPath, [LOAD, brokers, ...args, "--keys", String(keys)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      out += chunk;
    });
    const code = await new Promise((resolve) => child.on("exit", resolve));
    if (code !== 0) throw new Error(`kafka-load ${args.join(" ")} exited with ${code}`);
    return JSON.parse(out.trim().split("\n").at(-1));
  }
} finally {
  await server?.close();
  execFileSync("bash", [BROKER, "stop", `${dir}/broker`]);
  remove();
}
// kafkajs leaves sockets and timers behind its disconnects: end here, the work is done.
process.exit();
