import type { AdminReads } from "./admin-reads.js";
import type { CommitConcurrency } from "./commit-concurrency.js";
import type { ConsoleReads } from "./console-reads.js";
import type { DelivererLeases } from "./deliverer-leases.js";
import type { EgressAcks } from "./egress-acks.js";
import type { EgressDelivery } from "./egress-delivery.js";
import type { EgressOutboxStore } from "./egress-outbox.js";
import type { EngineStore } from "./engine-store.js";
import type { IdempotencyKeys } from "./idempotency-keys.js";
import type { LeaseStore } from "./leases.js";
import type { StoreLifecycle } from "./lifecycle.js";
import type { ModuleCatalog } from "./module-catalog.js";
import type { ParkingStore } from "./parking-store.js";
import type { SnapshotStore } from "./snapshot.js";
import type { SourcePositions } from "./source-positions.js";
import type { StateSpecStore } from "./state-spec-store.js";

export type { AdminReads, StoreStats } from "./admin-reads.js";
export type { CommitBatch, CommitResult, Fence } from "./commit-batch.js";
export type { CommitConcurrency } from "./commit-concurrency.js";
export type { ConsoleReads } from "./console-reads.js";
export type { DelivererLease, DelivererLeases } from "./deliverer-leases.js";
export type { EgressAcks } from "./egress-acks.js";
export type { EgressDelivery, OrderedEgressRow } from "./egress-delivery.js";
export type { EgressClaim, EgressOutboxStore } from "./egress-outbox.js";
export type { EngineStore, MessagePage, StoreChange } from "./engine-store.js";
export type { IdempotencyKeys } from "./idempotency-keys.js";
export type { ClusterView, Lease, LeaseStore } from "./leases.js";
export type { StoreInfo, StoreLifecycle } from "./lifecycle.js";
export type { ModuleCatalog, ModuleCatalogChange, ModuleCatalogEntry, ModuleCatalogSnapshot } from "./module-catalog.js";
export type { ParkingStore } from "./parking-store.js";
export type {
  DeadLetter,
  EgressRow,
  ExpiredRow,
  IngressMessage,
  ReplyRow,
  StateDrop,
  StateEntry,
  StateWrite,
  StoredMessage,
} from "./records.js";
export { INSTANCE_ROW, INSTANCE_ROW_TYPE } from "./records.js";
export type { LoadOptions, NextIdOf, SnapshotCounts, SnapshotKind, SnapshotRecord, SnapshotStore } from "./snapshot.js";
export type { SourceAdvance, SourceCommitBatch, SourceCommitResult, SourcePositions } from "./source-positions.js";
export type { StateSpecStore } from "./state-spec-store.js";

/**
 * The durable store behind a runtime: every role a backend implements together. SQLite (embedded),
 * PostgreSQL (cluster) and the in-memory test store implement it and pass one conformance suite
 * (test/store). The engine speaks to the roles it needs; the server alone uses the module catalog.
 * A new store method goes into a role interface (a new one in its own file for a new concern),
 * added here with one line.
 */
export interface Store
  extends StoreLifecycle,
    EngineStore,
    LeaseStore,
    EgressOutboxStore,
    AdminReads,
    ParkingStore,
    StateSpecStore,
    ModuleCatalog,
    EgressAcks,
    IdempotencyKeys,
    ConsoleReads,
    SnapshotStore,
    CommitConcurrency,
    SourcePositions,
    EgressDelivery,
    DelivererLeases {}
