import type { Clock } from "../clock.js";
import type { FunctionBindings } from "../function-bindings.js";
import type { Logger, MetricsSink } from "../observe.js";
import type { RemoteStateSpecs } from "../remote-state-specs.js";
import type { Store } from "../store/types.js";
import type { Engine } from "./engine.js";
import type { Limits } from "./options.js";
import type { ReplyWaiters } from "./replies.js";
import type { SweepOptions } from "./sweeper.js";

/** What every engine of a runtime shares: it outlives each of them. */
export interface EngineContext {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: MetricsSink;
  readonly limits: Limits;
  /** This worker's name in leases. */
  readonly owner: string;
  /** Key groups in all (the store's). */
  readonly keyGroups: number;
  readonly bindings: FunctionBindings;
  readonly stateSpecs: RemoteStateSpecs;
  /** Ingress callers waiting for a reply (across engines: a reply may come from another worker). */
  readonly waiters: ReplyWaiters;
  readonly sweep: SweepOptions;
  /** How long messages to a function type with no binding are kept before they are dead-lettered. */
  readonly parkTimeoutMs: number;
  /** An engine cannot go on (a commit failed, its leases were taken). */
  readonly fatal: (engine: Engine, error: unknown) => void;
}
