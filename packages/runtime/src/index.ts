export type { EgressDelivery, IngestReceipt, IngestRequest, StateView } from "./api.js";
export { INGRESS_CALLER_NAMESPACE, INGRESS_CALLER_TYPE } from "./api.js";
export type { Binding, InvokeRequest, Invoker, StateSpecInfo } from "./binding.js";
export type { Clock } from "./clock.js";
export { systemClock } from "./clock.js";
export type { CounterName, GaugeSnapshot, HistogramName, Logger, MetricsSink } from "./observe.js";
export { noMetrics, silentLogger } from "./observe.js";
export type { Limits, RuntimeOptions } from "./runtime.js";
export { Runtime } from "./runtime.js";
export type { SourceRecords, SourceSink } from "./sources.js";
export { StateSpecRegistry } from "./state-specs.js";
export type { MemoryStoreOptions } from "./store/memory-store.js";
export { MemoryStore } from "./store/memory-store.js";
export type { SourceAdvance, SourceCommitBatch, SourceCommitResult, SourcePositions } from "./store/source-positions.js";
export type {
  ClusterView,
  CommitBatch,
  CommitResult,
  DeadLetter,
  EgressClaim,
  EgressRow,
  ExpiredRow,
  Fence,
  IngressMessage,
  Lease,
  MessagePage,
  RegistryChange,
  RegistryEntry,
  RegistrySnapshot,
  ReplyRow,
  StateDrop,
  StateEntry,
  StateWrite,
  Store,
  StoreChange,
  StoredMessage,
  StoreInfo,
} from "./store/types.js";
export { INSTANCE_ROW, INSTANCE_ROW_TYPE } from "./store/types.js";
