/** A structured logger (pino-compatible subset). */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Counters the engine increments; the server exposes them (Prometheus). */
export type CounterName =
  | "ingress_messages" // messages accepted from ingresses
  | "ingress_duplicates" // ingress requests deduplicated by idempotency key
  | "messages_sent" // messages sent by functions (immediate and delayed)
  | "messages_sent_remote" // of those, to key groups this worker does not run now (cluster mode)
  | "messages_delivered" // messages handed to invocations
  | "invocations" // successful invocations
  | "invocation_failures" // failed attempts (each retry counts)
  | "dead_letters" // messages moved to the dead-letter store
  | "egress_records" // records written to egress outboxes
  | "replies" // replies to ingress callers
  | "timers_fired" // delayed messages fired
  | "timers_cancelled" // cancellation requests
  | "instances_expired" // instances dropped whole by their instance TTL
  | "cache_evictions" // idle addresses forgotten by the cache (their state reloads on their next message)
  | "state_expired" // expired state values deleted in the background
  | "remote_requests" // HTTP requests to remote functions (each attempt)
  | "remote_request_failures"; // of those, the ones that got no 2xx answer

/** Histograms the engine observes. */
export type HistogramName = "commit_batch_size" | "commit_latency_seconds" | "invocation_latency_seconds" | "remote_request_seconds";

/** Gauges the engine reports on demand. */
export interface GaugeSnapshot {
  /** Messages held in memory (mailboxes and ready queue). */
  readonly bufferedMessages: number;
  /** Invocations running now. */
  readonly inFlightInvocations: number;
  /** Invocations and ingress requests waiting for their commit. */
  readonly pendingCommits: number;
  /** Addresses whose state is cached. */
  readonly cachedAddresses: number;
  /** Estimated bytes of those addresses and their state (`Limits.maxCacheBytes`). */
  readonly cachedBytes?: number;
  /** Messages kept for function types that are not loaded. */
  readonly parkedMessages: number;
}

/** Per function type: what its addresses in memory are doing now. */
export interface FunctionGauge {
  /** Messages of the type held in memory, waiting or running. */
  readonly queued: number;
  /** Addresses with an invocation (or its retry backoff) under way. */
  readonly busy: number;
  /** Addresses whose head message failed and waits for a retry. */
  readonly retrying: number;
}

/**
 * Where the engine reports metrics. `functionType` names the function type the event belongs to
 * (the one invoked, or the sender), when there is one.
 */
export interface MetricsSink {
  count(name: CounterName, by?: number, functionType?: string): void;
  observe(name: HistogramName, value: number, functionType?: string): void;
}

export const noMetrics: MetricsSink = { count() {}, observe() {} };
