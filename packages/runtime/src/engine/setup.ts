import { randomUUID } from "node:crypto";
import { systemClock } from "../clock.js";
import { FunctionBindings } from "../function-bindings.js";
import { noMetrics, silentLogger } from "../observe.js";
import { RemoteStateSpecs } from "../remote-state-specs.js";
import type { StoreInfo } from "../store/types.js";
import { clusterMember } from "./cluster-member.js";
import type { EngineContext } from "./context.js";
import { EgressOutbox } from "./egress.js";
import { DEFAULT_LIMITS, DEFAULT_PARK_TIMEOUT_MS, type RuntimeOptions } from "./options.js";
import type { OwnershipMode } from "./ownership.js";
import { ReplyWaiters } from "./replies.js";
import { singleOwner } from "./single-owner.js";
import { DEFAULT_SWEEP } from "./sweeper.js";

/** What every engine of a runtime shares, known before the store is open. */
export type RuntimeParts = Omit<EngineContext, "keyGroups" | "fatal"> & {
  /** Egress records handed to pull consumers (store claims, in either ownership mode). */
  readonly outbox: EgressOutbox;
};

/** The options of a runtime with every default filled in; `egressDeleted` hears of each record the outbox deleted. */
export function runtimeParts(options: RuntimeOptions, egressDeleted?: (topic: string, count: number) => void): RuntimeParts {
  const owner = options.owner ?? `worker-${randomUUID()}`;
  return {
    store: options.store,
    clock: options.clock ?? systemClock,
    logger: options.logger ?? silentLogger,
    metrics: options.metrics ?? noMetrics,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    owner,
    bindings: new FunctionBindings(),
    stateSpecs: new RemoteStateSpecs(options.store),
    waiters: new ReplyWaiters(),
    sweep: { ...DEFAULT_SWEEP, ...options.sweep },
    parkTimeoutMs: options.parkTimeoutMs ?? DEFAULT_PARK_TIMEOUT_MS,
    outbox: new EgressOutbox(options.store, owner, egressDeleted),
  };
}

/**
 * Chooses, once, how the runtime holds key groups: cluster mode when asked for, or by default
 * when the store says it is shared (`StoreInfo.shared`); else the single owner.
 */
export function ownershipMode(parts: RuntimeParts, options: RuntimeOptions, info: StoreInfo): OwnershipMode {
  const { store, owner, clock, logger } = parts;
  const cluster = options.cluster ?? info.shared ?? false;
  if (cluster === false) return singleOwner({ store, owner, keyGroups: info.keyGroups });
  return clusterMember({ store, owner, keyGroups: info.keyGroups, clock, logger, cluster: cluster === true ? {} : cluster });
}
