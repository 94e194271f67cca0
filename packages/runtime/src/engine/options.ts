import type { StatefunModule } from "@statefun-ts/sdk";
import type { Clock } from "../clock.js";
import type { Logger, MetricsSink } from "../observe.js";
import type { Store } from "../store/types.js";
import type { ClusterOptions } from "./membership.js";
import type { SweepOptions } from "./sweeper.js";

/** Bounds that keep memory flat under any backlog. */
export interface Limits {
  /** Messages held in memory at most; the rest of a backlog stays in the store (default 20,000). */
  readonly maxBufferedMessages: number;
  /** Invocations running at once (default 1,024). */
  readonly maxInFlightInvocations: number;
  /** Ingress messages waiting for their commit before `ingest` answers STATEFUN_OVERLOADED (default 10,000). */
  readonly maxPendingIngress: number;
  /** Waiting messages in the store beyond which `ingest` answers STATEFUN_OVERLOADED (default 1,000,000). */
  readonly maxBacklog: number;
  /** Largest number of invocations and requests in one commit (default 20,000). */
  readonly maxCommitBatch: number;
  /**
   * Units (invocations' effects, requests) waiting for their commit at most before no invocation
   * starts until a commit went through (default 40,000: two full commits). The work of a backlog
   * waits in the store or, up to `maxBufferedMessages`, in memory, not as effects in the queue.
   */
  readonly maxPendingCommits: number;
  /** Addresses whose state is cached at most (default 1,000,000; `maxCacheBytes` bounds them in bytes). */
  readonly maxCachedAddresses: number;
  /**
   * Estimated bytes of the cached addresses and their state at most (default 256 MiB): past it,
   * the least recently used idle addresses are forgotten (their state reloads from the store on
   * their next message). The estimate counts each address's objects, id, state names and values.
   */
  readonly maxCacheBytes: number;
  /** How long replies and idempotency keys are kept (default 24 h). */
  readonly replyRetentionMs: number;
  /**
   * Longest a stop waits for invocations still running (a remote function retrying within its call
   * budget) before it goes on without them (default 5 s): their messages stay in the store and are
   * run again at the next start, and their late results are dropped.
   */
  readonly stopDrainMs: number;
}

export interface RuntimeOptions {
  readonly store: Store;
  readonly modules?: readonly StatefunModule[];
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly metrics?: MetricsSink;
  readonly limits?: Partial<Limits>;
  /** Pacing of the background deletion of expired state (instance TTL, state TTL). */
  readonly sweep?: Partial<SweepOptions>;
  /** This worker's name in leases (default: random). */
  readonly owner?: string;
  /** How long messages to a function type with no binding are kept before they are dead-lettered (default 24 h). */
  readonly parkTimeoutMs?: number;
  /**
   * Cluster mode: several runtimes (processes) share the store and its key groups, with leases,
   * heartbeats and failover. Default: on when the store says it is shared (`StoreInfo.shared`).
   * `false` forces the single owner (which takes every key group, with no heartbeat cost).
   */
  readonly cluster?: ClusterOptions | boolean;
  /** Called when the runtime cannot go on (a commit failed, or its leases were taken): the process should exit and restart. */
  readonly onFatal?: (error: unknown) => void;
}

/** `RuntimeOptions.parkTimeoutMs` when not given. */
export const DEFAULT_PARK_TIMEOUT_MS = 24 * 3_600_000;

export const DEFAULT_LIMITS: Limits = {
  maxBufferedMessages: 20_000,
  maxInFlightInvocations: 1024,
  maxPendingIngress: 10_000,
  maxBacklog: 1_000_000,
  maxCommitBatch: 20_000,
  maxPendingCommits: 40_000,
  maxCachedAddresses: 1_000_000,
  maxCacheBytes: 256 * 1024 * 1024,
  replyRetentionMs: 24 * 3_600_000,
  stopDrainMs: 5_000,
};
