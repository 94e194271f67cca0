/**
 * The store contract (service provider interface): the role interfaces a store implements, the
 * records they carry, and the row decoders the SQL stores share. A store depends on this entry
 * (`@statefun-ts/runtime/spi`) only, never on the engine.
 */
export type { StateSpecInfo } from "./binding.js";
export type { AdminReads, StoreStats } from "./store/admin-reads.js";
export type { CommitBatch, CommitResult, Fence } from "./store/commit-batch.js";
export type { CommitConcurrency } from "./store/commit-concurrency.js";
export type { ConsoleReads } from "./store/console-reads.js";
export type { EgressAcks } from "./store/egress-acks.js";
export type { EgressClaim, EgressOutboxStore } from "./store/egress-outbox.js";
export type { EngineStore, MessagePage, StoreChange } from "./store/engine-store.js";
export type { IdempotencyKeys } from "./store/idempotency-keys.js";
export type { ClusterView, Lease, LeaseStore } from "./store/leases.js";
export type { StoreInfo, StoreLifecycle } from "./store/lifecycle.js";
export type { ModuleCatalog, RegistryChange, RegistryEntry, RegistrySnapshot } from "./store/module-catalog.js";
export type { ParkingStore } from "./store/parking-store.js";
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
} from "./store/records.js";
export { INSTANCE_ROW, INSTANCE_ROW_TYPE } from "./store/records.js";
export type { Row } from "./store/row-decoders.js";
export { bytes, MESSAGE_COLUMNS, toDeadLetter, toEgressRow, toExpiredRow, toMessage, toReply, toStateEntry } from "./store/row-decoders.js";
export type { LoadOptions, SnapshotCounts, SnapshotKind, SnapshotRecord, SnapshotStore } from "./store/snapshot.js";
export { SNAPSHOT_KINDS, zeroCounts } from "./store/snapshot.js";
export type { SourceAdvance, SourceCommitBatch, SourceCommitResult, SourcePositions } from "./store/source-positions.js";
export type { StateSpecStore } from "./store/state-spec-store.js";
export type { Store } from "./store/types.js";
