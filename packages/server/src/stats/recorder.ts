import type { CounterName, HistogramName, MetricsSink } from "@statefun-ts/runtime";

/** Running totals of one function type (or of the whole worker). */
export type Totals = Partial<Record<CounterName, number>>;

/** Latency samples kept per second and type (a uniform sample when more come in). */
const MAX_SAMPLES = 512;

class Reservoir {
  values: number[] = [];
  seen = 0;
  add(value: number): void {
    this.seen++;
    if (this.values.length < MAX_SAMPLES) this.values.push(value);
    else {
      const at = Math.floor(Math.random() * this.seen);
      if (at < MAX_SAMPLES) this.values[at] = value;
    }
  }
}

/** What the recorder saw since the last `drain`: observations by histogram and function type. */
export interface Drained {
  readonly observations: Map<HistogramName, { count: number; sum: number; values: number[] }>;
  readonly latency: Map<string, number[]>;
  readonly remoteLatency: Map<string, number[]>;
}

/**
 * The engine's metrics as the stats history needs them: totals for the worker and per function
 * type, and the observations of the current second (drained by the sampler once a second).
 * Constant time per event; memory bounded by the number of function types.
 */
export class StatsRecorder implements MetricsSink {
  readonly totals: Totals = {};
  readonly byType = new Map<string, Totals>();
  private observations = new Map<HistogramName, { count: number; sum: number; values: Reservoir }>();
  private latency = new Map<string, Reservoir>();
  private remoteLatency = new Map<string, Reservoir>();

  count(name: CounterName, by = 1, functionType?: string): void {
    this.totals[name] = (this.totals[name] ?? 0) + by;
    if (functionType === undefined) return;
    let totals = this.byType.get(functionType);
    if (totals === undefined) {
      totals = {};
      this.byType.set(functionType, totals);
    }
    totals[name] = (totals[name] ?? 0) + by;
  }

  observe(name: HistogramName, value: number, functionType?: string): void {
    let o = this.observations.get(name);
    if (o === undefined) {
      o = { count: 0, sum: 0, values: new Reservoir() };
      this.observations.set(name, o);
    }
    o.count++;
    o.sum += value;
    o.values.add(value);
    if (functionType === undefined) return;
    const byType =
      name === "invocation_latency_seconds" ? this.latency : name === "remote_request_seconds" ? this.remoteLatency : undefined;
    if (byType === undefined) return;
    let r = byType.get(functionType);
    if (r === undefined) {
      r = new Reservoir();
      byType.set(functionType, r);
    }
    r.add(value);
  }

  /** The observations since the last call. */
  drain(): Drained {
    const observations = new Map(
      [...this.observations].map(([name, o]) => [name, { count: o.count, sum: o.sum, values: o.values.values }]),
    );
    const latency = new Map([...this.latency].map(([type, r]) => [type, r.values]));
    const remoteLatency = new Map([...this.remoteLatency].map(([type, r]) => [type, r.values]));
    this.observations = new Map();
    this.latency = new Map();
    this.remoteLatency = new Map();
    return { observations, latency, remoteLatency };
  }
}

/** The q-quantile (0..1) of some values; undefined when there are none. */
export function quantile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
