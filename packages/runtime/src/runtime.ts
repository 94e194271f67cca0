import type { Address, TypedValue } from "@statefun-ts/protocol";
import type { EgressRef, HttpIngress, StatefulFunction, StatefunModule } from "@statefun-ts/sdk";
import type { EgressDelivery, IngestReceipt, IngestRequest, StateView } from "./api.js";
import type { Clock } from "./clock.js";
import type { GaugeSnapshot, Logger, MetricsSink } from "./observe.js";
import type { DeadLetter, Store } from "./store/types.js";

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
  /** Addresses whose state is cached (default 100,000). */
  readonly maxCachedAddresses: number;
  /** How long replies and idempotency keys are kept (default 24 h). */
  readonly replyRetentionMs: number;
}

export interface RuntimeOptions {
  readonly store: Store;
  readonly modules?: readonly StatefunModule[];
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly metrics?: MetricsSink;
  readonly limits?: Partial<Limits>;
  /** This worker's name in leases (default: random). */
  readonly owner?: string;
}

/**
 * The engine: owns key groups, dispatches messages to per-address mailboxes, runs
 * invocations, and group-commits their effects to the store exactly once.
 *
 * @example
 * const runtime = new Runtime({ store: new SqliteStore({ dir: ".statefun" }), modules: [myModule] });
 * await runtime.start();
 * await runtime.ingest({ target: person.at("bob"), argument: { typename, value } });
 */
export declare class Runtime {
  constructor(options: RuntimeOptions);
  /** Loads the functions, ingresses and egresses of a module (before or after `start`). */
  load(module: StatefunModule): void;
  /** Recovers from the store and starts processing. */
  start(): Promise<void>;
  /** Stops taking work, lets running invocations finish, commits, and closes the store. */
  stop(): Promise<void>;
  /** True once recovery is done and the runtime processes messages. */
  readonly ready: boolean;

  functionTypes(): string[];
  function(typename: string): StatefulFunction | undefined;
  egresses(): EgressRef<unknown>[];
  ingresses(): HttpIngress<unknown>[];

  /**
   * Accepts a message from an ingress. Resolves once it is durably committed. Rejects with a
   * `StatefunError`: `STATEFUN_OVERLOADED` (try later), `STATEFUN_BAD_MESSAGE` (an embedded
   * function that does not accept this type), `STATEFUN_CLOSED`.
   */
  ingest(request: IngestRequest): Promise<IngestReceipt>;
  /** A committed reply to an ingress request. */
  getReply(requestId: string): Promise<TypedValue | undefined>;
  /** Every (unexpired) state value of an instance. */
  readState(address: Address): Promise<StateView[]>;
  /** Takes the oldest record of a topic not being delivered now. */
  takeEgress(topic: string): Promise<EgressDelivery | undefined>;
  deadLetters(limit: number, afterId?: number): Promise<DeadLetter[]>;
  /** Puts a dead-lettered message back into its target's inbox. False when there is no such dead letter. */
  replayDeadLetter(id: number): Promise<boolean>;
  gauges(): GaugeSnapshot;
  storeStats(): Promise<{ messages: number; timers: number; egress: number; deadLetters: number }>;
}
