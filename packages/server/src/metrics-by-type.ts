import type { Metric, Registry } from "prom-client";

/** One line of the text format, as prom-client's registry formats it. */
interface Sample {
  readonly metricName: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

/** The buckets, sum and count of one label value: what an observation updates, nothing more. */
export class HistogramChild {
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

export interface HistogramByLabelOptions {
  readonly name: string;
  readonly help: string;
  /** The one label (absent: a histogram without labels, whose only child is `child("")`). */
  readonly labelName?: string | undefined;
  readonly buckets: readonly number[];
  readonly registers: readonly Registry[];
}

/**
 * A Prometheus histogram with one label (or none), whose child per label value is created once and kept:
 * an observation is a lookup of the child (`child(value)`, a `Map` hit) and a bucket increment,
 * never prom-client's per-observation label validation and hashing. The text format is built from
 * the children on each scrape, as prom-client builds its own histograms'.
 */
export class HistogramByLabel {
  readonly name: string;
  readonly help: string;
  readonly type = "histogram";
  readonly aggregator = "sum";
  private readonly labelName: string | undefined;
  private readonly bounds: readonly number[];
  private readonly children = new Map<string, HistogramChild>();

  constructor(options: HistogramByLabelOptions) {
    this.name = options.name;
    this.help = options.help;
    this.labelName = options.labelName;
    this.bounds = [...options.buckets].sort((a, b) => a - b);
    // Without a label the one child exists from the start (prom-client shows an unlabelled histogram at zero).
    if (this.labelName === undefined) this.child("");
    for (const registry of options.registers) registry.registerMetric(this as unknown as Metric);
  }

  /** The child of one label value (created on its first use, then the same object). */
  child(labelValue: string): HistogramChild {
    let child = this.children.get(labelValue);
    if (child === undefined) {
      child = new HistogramChild(this.bounds);
      this.children.set(labelValue, child);
    }
    return child;
  }

  observe(labelValue: string, value: number): void {
    this.child(labelValue).observe(value);
  }

  reset(): void {
    this.children.clear();
    if (this.labelName === undefined) this.child("");
  }

  /** What the registry formats (the shape of prom-client's own histograms). */
  get(): Promise<{ name: string; help: string; type: string; values: Sample[]; aggregator: string }> {
    const values: Sample[] = [];
    const name = this.labelName;
    for (const [labelValue, child] of this.children) {
      const labels = name === undefined ? {} : { [name]: labelValue };
      let cumulative = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += child.counts[i]!;
        const le = i < this.bounds.length ? this.bounds[i]! : "+Inf";
        values.push({ metricName: `${this.name}_bucket`, labels: { le, ...labels }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_sum`, labels, value: child.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: child.count });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: "histogram", values, aggregator: "sum" });
  }
}
