import type { CounterName, FunctionGauge, GaugeSnapshot, HistogramName, Logger, MetricsSink, Runtime } from "@statefun-ts/runtime";
import { silentLogger } from "@statefun-ts/runtime";
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { HistogramByLabel, type HistogramChild } from "./metrics-by-type.js";
import { StatsRecorder } from "./stats/recorder.js";

const counterHelp: Record<CounterName, string> = {
  ingress_messages: "Messages accepted from ingresses",
  ingress_duplicates: "Ingress requests deduplicated by idempotency key",
  messages_sent: "Messages sent by functions (immediate and delayed)",
  messages_sent_remote: "Messages sent by functions to key groups other workers run (cluster mode)",
  messages_delivered: "Messages handed to invocations",
  invocations: "Successful invocations",
  invocation_failures: "Failed invocation attempts (each retry counts)",
  dead_letters: "Messages moved to the dead-letter store",
  egress_records: "Records written to egress outboxes",
  replies: "Replies to ingress callers",
  timers_fired: "Delayed messages fired",
  timers_cancelled: "Cancellation requests",
  instances_expired: "Instances dropped whole by their instance time-to-live",
  cache_evictions: "Idle addresses forgotten by the address cache (their state reloads from the store on their next message)",
  state_expired: "Expired state values deleted in the background",
  remote_requests: "HTTP requests to remote functions (each attempt)",
  remote_request_failures: "HTTP requests to remote functions that got no 2xx answer",
};

const histogramDefs: Record<HistogramName, { help: string; buckets: number[] }> = {
  commit_batch_size: {
    help: "Invocations and ingress requests per group commit",
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000],
  },
  commit_latency_seconds: {
    help: "Time of one store commit",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  },
  invocation_latency_seconds: {
    help: "Time of one invocation",
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10],
  },
  remote_request_seconds: {
    help: "Time of one HTTP request to a remote function",
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 10],
  },
};

/** Counters also kept per function type, as `statefun_function_<name>_total{function_type}`. */
const functionCounters: CounterName[] = [
  "ingress_messages",
  "messages_delivered",
  "invocations",
  "invocation_failures",
  "dead_letters",
  "messages_sent",
  "messages_sent_remote",
  "egress_records",
  "remote_requests",
  "remote_request_failures",
];

/** What the gauges read from the runtime. */
type BoundRuntime = Pick<Runtime, "gauges" | "storeStats"> &
  Partial<Pick<Runtime, "parkedByType" | "ownedKeyGroups" | "workerName" | "functionGauges" | "storeFull">>;
type StoreStats = Awaited<ReturnType<Runtime["storeStats"]>>;
type Snapshot = { gauges: GaugeSnapshot; store: StoreStats | undefined };

const gaugeDefs: [name: string, help: string, read: (s: Snapshot) => number | undefined][] = [
  ["statefun_backlog_messages", "Messages waiting in the store", (s) => s.store?.messages],
  ["statefun_timers", "Delayed messages in the store", (s) => s.store?.timers],
  ["statefun_egress_records", "Egress records not yet delivered", (s) => s.store?.egress],
  ["statefun_dead_letters", "Messages in the dead-letter store", (s) => s.store?.deadLetters],
  ["statefun_buffered_messages", "Messages held in memory", (s) => s.gauges.bufferedMessages],
  ["statefun_in_flight_invocations", "Invocations running now", (s) => s.gauges.inFlightInvocations],
  ["statefun_pending_commits", "Invocations and ingress requests waiting for their commit", (s) => s.gauges.pendingCommits],
  ["statefun_cached_addresses", "Addresses whose state is cached", (s) => s.gauges.cachedAddresses],
  ["statefun_cached_bytes", "Estimated bytes of the cached addresses and their state", (s) => s.gauges.cachedBytes],
  ["statefun_parked_messages", "Messages kept for function types that are not loaded", (s) => s.gauges.parkedMessages],
];

/**
 * The engine's `MetricsSink` on prom-client, with its own `Registry` (never the global one):
 * `statefun_<name>_total` counters, histograms, gauges read from the runtime on each scrape,
 * and the default process metrics.
 */
export class PrometheusMetrics implements MetricsSink {
  readonly registry = new Registry();
  /** The unlabelled histograms' one child each: an observation is a bucket increment. */
  private readonly histograms = new Map<HistogramName, HistogramChild>();
  private readonly latencyByType: HistogramByLabel;
  private readonly remoteLatencyByType: HistogramByLabel;
  /** The same events, for the in-memory stats history (`/v1/stats`). */
  readonly recorder = new StatsRecorder();
  private cachedStore: (() => StoreStats | undefined) | undefined;
  private cachedTopics: (() => Readonly<Record<string, number>>) | undefined;
  private runtime: BoundRuntime | undefined;
  private scrape: Promise<Snapshot | undefined> | undefined;

  constructor(private readonly logger: Logger = silentLogger) {
    const registers = [this.registry];
    // Counters are kept by the recorder (plain numbers, per function type too) and copied into
    // prom-client on each scrape: an event costs no label hashing, however many there are.
    const recorder = this.recorder;
    for (const [name, help] of Object.entries(counterHelp) as [CounterName, string][]) {
      new Counter({
        name: `statefun_${name}_total`,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(recorder.totals[name] ?? 0);
        },
      });
    }
    for (const [name, def] of Object.entries(histogramDefs) as [HistogramName, (typeof histogramDefs)[HistogramName]][]) {
      this.histograms.set(
        name,
        new HistogramByLabel({ name: `statefun_${name}`, help: def.help, buckets: def.buckets, registers }).child(""),
      );
    }
    for (const name of functionCounters) {
      const help = `${counterHelp[name]}, by function type`;
      new Counter({
        name: `statefun_function_${name}_total`,
        help,
        labelNames: ["function_type"],
        registers,
        collect() {
          this.reset();
          for (const [type, totals] of recorder.byType) {
            const total = totals[name];
            if (total !== undefined) this.inc({ function_type: type }, total);
          }
        },
      });
    }
    // Per function type: each type's buckets are kept in a child made once, so an observation
    // (one per invocation) does no label validation or hashing.
    this.remoteLatencyByType = new HistogramByLabel({
      name: "statefun_function_remote_request_seconds",
      help: "Time of one HTTP request to a remote function, by function type",
      labelName: "function_type",
      buckets: histogramDefs.remote_request_seconds.buckets,
      registers,
    });
    this.latencyByType = new HistogramByLabel({
      name: "statefun_function_invocation_latency_seconds",
      help: "Time of one invocation, by function type (for a remote type, its request round trip)",
      labelName: "function_type",
      buckets: histogramDefs.invocation_latency_seconds.buckets,
      registers,
    });
    const functionGauges = () => this.runtime?.functionGauges?.() ?? new Map<string, FunctionGauge>();
    for (const [name, help, key] of [
      ["statefun_function_queued_messages", "Messages of a function type held in memory, by type", "queued"],
      ["statefun_function_busy_addresses", "Addresses of a function type running or backing off, by type", "busy"],
      ["statefun_function_retrying_addresses", "Addresses of a function type retrying a failed message, by type", "retrying"],
    ] as const) {
      new Gauge({
        name,
        help,
        labelNames: ["function_type"],
        registers,
        collect() {
          this.reset();
          for (const [type, g] of functionGauges()) this.set({ function_type: type }, g[key]);
        },
      });
    }
    const topics = () => this.cachedTopics?.() ?? {};
    new Gauge({
      name: "statefun_egress_records_by_topic",
      help: 'Egress records not yet delivered, by topic (kept in memory; topic "" holds the Kafka egresses\' records)',
      labelNames: ["topic"],
      registers,
      collect() {
        this.reset();
        for (const [topic, n] of Object.entries(topics())) this.set({ topic }, n);
      },
    });
    const snapshot = () => this.snapshot();
    for (const [name, help, read] of gaugeDefs) {
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          const s = await snapshot();
          const value = s === undefined ? undefined : read(s);
          this.set(value ?? Number.NaN); // NaN: unknown (the store did not answer)
        },
      });
    }
    const parked = () => this.runtime?.parkedByType?.() ?? new Map<string, number>();
    new Gauge({
      name: "statefun_parked_messages_by_type",
      help: "Messages kept for a function type that is not loaded, by type",
      labelNames: ["function_type"],
      registers,
      collect() {
        this.reset();
        for (const [type, n] of parked()) this.set({ function_type: type }, n);
      },
    });
    const cluster = () => this.runtime;
    new Gauge({
      name: "statefun_owned_key_groups",
      help: "Key groups this worker runs now (all of them outside cluster mode), labelled with the worker's name",
      labelNames: ["worker"],
      registers,
      collect() {
        this.reset();
        const runtime = cluster();
        if (runtime?.ownedKeyGroups === undefined) return;
        this.set({ worker: runtime.workerName ?? "" }, runtime.ownedKeyGroups().length);
      },
    });
    new Gauge({
      name: "statefun_store_full",
      help: "1 while commits fail for lack of disk space (they are retried; new messages are refused with 507), else 0",
      registers,
      collect() {
        this.set(cluster()?.storeFull === true ? 1 : 0);
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** Where the gauges are read from; set once the runtime exists. */
  bind(runtime: BoundRuntime): void {
    this.runtime = runtime;
  }

  /**
   * Where the store gauges are read on each scrape without asking the store: the runtime's
   * in-memory counts (through the stats history), and the egress records per topic the history
   * reads in the background. Unbound, a scrape asks the store (`storeStats`, COUNT queries).
   */
  bindStoreStats(read: () => StoreStats | undefined, egressByTopic?: () => Readonly<Record<string, number>>): void {
    this.cachedStore = read;
    this.cachedTopics = egressByTopic;
  }

  count(name: CounterName, by = 1, functionType?: string): void {
    this.recorder.count(name, by, functionType);
  }

  observe(name: HistogramName, value: number, functionType?: string): void {
    this.histograms.get(name)?.observe(value);
    if (functionType !== undefined && name === "invocation_latency_seconds") this.latencyByType.observe(functionType, value);
    if (functionType !== undefined && name === "remote_request_seconds") this.remoteLatencyByType.observe(functionType, value);
    this.recorder.observe(name, value, functionType);
  }

  /** One runtime snapshot shared by every gauge of a scrape (they are collected concurrently). */
  private snapshot(): Promise<Snapshot | undefined> {
    if (this.scrape !== undefined) return this.scrape;
    const runtime = this.runtime;
    if (runtime === undefined) return Promise.resolve(undefined);
    this.scrape = (async () => {
      const gauges = runtime.gauges();
      if (this.cachedStore !== undefined) return { gauges, store: this.cachedStore() };
      const store = await runtime.storeStats().catch((err: unknown) => {
        this.logger.warn({ err }, "metrics: store stats unavailable");
        return undefined;
      });
      return { gauges, store };
    })().finally(() => {
      this.scrape = undefined;
    });
    return this.scrape;
  }
}
