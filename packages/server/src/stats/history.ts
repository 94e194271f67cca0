import type { CounterName, FunctionGauge, GaugeSnapshot } from "@statefun-ts/runtime";
import { quantile, type StatsRecorder, type Totals } from "./recorder.js";

/** One function type during one interval (counts are per interval, latencies in seconds). */
export interface FunctionSample {
  readonly ingress: number;
  readonly in: number;
  readonly invocations: number;
  readonly failures: number;
  readonly deadLetters: number;
  readonly sent: number;
  readonly sentRemote: number;
  readonly egress: number;
  readonly latencyP50: number | null;
  readonly latencyP99: number | null;
  /** HTTP requests to the remote function (each attempt), the failed ones, and their time (seconds). */
  readonly remoteRequests: number;
  readonly remoteFailures: number;
  readonly remoteP50: number | null;
  readonly remoteP99: number | null;
  readonly queued: number;
  readonly busy: number;
  readonly retrying: number;
}

/** The worker during one interval: counts per interval, gauges at its end, latencies in seconds. */
export interface StatsSample {
  /** End of the interval, epoch ms. */
  readonly t: number;
  readonly ingress: number;
  readonly in: number;
  readonly invocations: number;
  readonly failures: number;
  readonly deadLetters: number;
  readonly sent: number;
  readonly sentRemote: number;
  readonly egress: number;
  readonly replies: number;
  readonly commits: number;
  readonly commitBatch: number | null;
  readonly commitLatencyP50: number | null;
  readonly commitLatencyP99: number | null;
  readonly latencyP50: number | null;
  readonly latencyP99: number | null;
  readonly buffered: number;
  readonly inFlight: number;
  readonly pendingCommits: number;
  readonly parked: number;
  readonly cachedAddresses: number;
  /** From the store, refreshed every few seconds (null until known). */
  readonly backlog: number | null;
  readonly timers: number | null;
  readonly egressDepth: number | null;
  readonly deadLettersStored: number | null;
  /** Egress records waiting, by topic (from the store, as `backlog`). */
  readonly egressByTopic: Readonly<Record<string, number>>;
  readonly functions: Readonly<Record<string, FunctionSample>>;
}

export type StoreStats = { messages: number; timers: number; egress: number; deadLetters: number };

/** What the history reads from the runtime. */
export interface StatsRuntime {
  gauges(): GaugeSnapshot;
  functionGauges(): Map<string, FunctionGauge>;
  storeStats(): Promise<StoreStats>;
  /** The store's counts kept in memory (`Runtime.storeCounts`): when given, read on each sample instead of `storeStats`. */
  storeCounts?(): StoreStats | undefined;
  /** Egress records waiting per topic, kept in memory (`Runtime.egressByTopic`): read on each sample. */
  egressByTopic?(): ReadonlyMap<string, number> | undefined;
}

export interface StatsHistoryOptions {
  /** Interval between samples (default 1 s). */
  readonly intervalMs?: number;
  /** Samples kept (default 900: 15 minutes at 1 s). */
  readonly capacity?: number;
  /**
   * How often the store is read (default 5 s) when the runtime keeps no counts in memory (not
   * started yet): COUNT queries, never run per scrape or per page view.
   */
  readonly storeEveryMs?: number;
}

const ZERO: FunctionGauge = { queued: 0, busy: 0, retrying: 0 };

/**
 * A short in-memory history of the worker's metrics (default 15 minutes at 1 s), so charts have
 * data from the moment a page opens. Samples are deltas of the recorder's totals; the store's
 * counts and the egress records per topic are the runtime's in-memory ones (`Runtime.storeCounts`,
 * `Runtime.egressByTopic`: no query); `/metrics` reads both.
 */
export class StatsHistory {
  readonly intervalMs: number;
  readonly capacity: number;
  private readonly storeEveryMs: number;
  private readonly samples: StatsSample[] = [];
  private last: Totals = {};
  private lastByType = new Map<string, Totals>();
  private timer: NodeJS.Timeout | undefined;
  private store: StoreStats | undefined;
  private storeReadAt = 0;
  private storeReading = false;

  constructor(
    private readonly recorder: StatsRecorder,
    private readonly runtime: StatsRuntime,
    options: StatsHistoryOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.capacity = options.capacity ?? 900;
    this.storeEveryMs = options.storeEveryMs ?? 5000;
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.last = { ...this.recorder.totals };
    this.refreshStore();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Egress records waiting per topic, by topic name. */
  egressDepth(): Readonly<Record<string, number>> {
    const topics = this.runtime.egressByTopic?.();
    if (topics === undefined) return {};
    return Object.fromEntries([...topics].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  /** The store's counts: the runtime's in-memory ones, else as last read (undefined until the first read answered). */
  storeStats(): StoreStats | undefined {
    return this.runtime.storeCounts?.() ?? this.store;
  }

  /** The samples of the last `seconds` (all kept ones when omitted), oldest first. */
  window(seconds?: number): StatsSample[] {
    if (seconds === undefined) return [...this.samples];
    const n = Math.ceil((seconds * 1000) / this.intervalMs);
    return this.samples.slice(-n);
  }

  /** Takes one sample now (the timer calls it every interval). */
  sample(now = Date.now()): StatsSample {
    const totals = this.recorder.totals;
    const d = (name: CounterName, from: Totals = this.last, to: Totals = totals) => (to[name] ?? 0) - (from[name] ?? 0);
    const drained = this.recorder.drain();
    const gauges = this.runtime.gauges();
    const functionGauges = this.runtime.functionGauges();
    const commits = drained.observations.get("commit_batch_size");
    const commitLatency = drained.observations.get("commit_latency_seconds")?.values ?? [];
    const latency = drained.observations.get("invocation_latency_seconds")?.values ?? [];
    const functions: Record<string, FunctionSample> = {};
    const types = new Set([...this.recorder.byType.keys(), ...functionGauges.keys()]);
    for (const type of [...types].sort()) {
      const to = this.recorder.byType.get(type) ?? {};
      const from = this.lastByType.get(type) ?? {};
      const values = drained.latency.get(type) ?? [];
      const remote = drained.remoteLatency.get(type) ?? [];
      const g = functionGauges.get(type) ?? ZERO;
      const f: FunctionSample = {
        ingress: d("ingress_messages", from, to),
        in: d("messages_delivered", from, to),
        invocations: d("invocations", from, to),
        failures: d("invocation_failures", from, to),
        deadLetters: d("dead_letters", from, to),
        sent: d("messages_sent", from, to),
        sentRemote: d("messages_sent_remote", from, to),
        egress: d("egress_records", from, to),
        latencyP50: quantile(values, 0.5) ?? null,
        latencyP99: quantile(values, 0.99) ?? null,
        remoteRequests: d("remote_requests", from, to),
        remoteFailures: d("remote_request_failures", from, to),
        remoteP50: quantile(remote, 0.5) ?? null,
        remoteP99: quantile(remote, 0.99) ?? null,
        queued: g.queued,
        busy: g.busy,
        retrying: g.retrying,
      };
      // A type with nothing to show is left out: a sample holds the types active in its second, not
      // every type ever seen (an outsider posting once to each of thousands of unloaded types must
      // not fill 15 minutes of samples with them). Its counts did not move: `lastByType` holds.
      if (idle(f)) continue;
      functions[type] = f;
      this.lastByType.set(type, { ...to });
    }
    const store = this.storeStats();
    const sample: StatsSample = {
      t: now,
      ingress: d("ingress_messages"),
      in: d("messages_delivered"),
      invocations: d("invocations"),
      failures: d("invocation_failures"),
      deadLetters: d("dead_letters"),
      sent: d("messages_sent"),
      sentRemote: d("messages_sent_remote"),
      egress: d("egress_records"),
      replies: d("replies"),
      commits: commits?.count ?? 0,
      commitBatch: commits === undefined || commits.count === 0 ? null : commits.sum / commits.count,
      commitLatencyP50: quantile(commitLatency, 0.5) ?? null,
      commitLatencyP99: quantile(commitLatency, 0.99) ?? null,
      latencyP50: quantile(latency, 0.5) ?? null,
      latencyP99: quantile(latency, 0.99) ?? null,
      buffered: gauges.bufferedMessages,
      inFlight: gauges.inFlightInvocations,
      pendingCommits: gauges.pendingCommits,
      parked: gauges.parkedMessages,
      cachedAddresses: gauges.cachedAddresses,
      backlog: store?.messages ?? null,
      timers: store?.timers ?? null,
      egressDepth: store?.egress ?? null,
      deadLettersStored: store?.deadLetters ?? null,
      egressByTopic: this.egressDepth(),
      functions,
    };
    this.last = { ...totals };
    this.samples.push(sample);
    if (this.samples.length > this.capacity) this.samples.splice(0, this.samples.length - this.capacity);
    if (now - this.storeReadAt >= this.storeEveryMs) this.refreshStore();
    return sample;
  }

  private refreshStore(): void {
    if (this.storeReading) return;
    this.storeReading = true;
    this.storeReadAt = Date.now();
    if (this.runtime.storeCounts?.() !== undefined) {
      this.storeReading = false;
      return;
    }
    this.runtime
      .storeStats()
      .then(
        (stats) => {
          this.store = stats;
        },
        () => {},
      )
      .finally(() => {
        this.storeReading = false;
      });
  }
}

/** True when a type's sample has no count, latency or gauge to show. */
function idle(f: FunctionSample): boolean {
  for (const value of Object.values(f)) if (value !== 0 && value !== null) return false;
  return true;
}
