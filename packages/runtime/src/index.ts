export type { EgressClaimed, EgressDelivery, IngestReceipt, IngestRequest, StateView } from "./api.js";
export { INGRESS_CALLER_NAMESPACE, INGRESS_CALLER_TYPE } from "./api.js";
export type { Binding, InvokeRequest, Invoker, StateSpecInfo } from "./binding.js";
export type { Clock } from "./clock.js";
export { ManualClock, OffsetClock, systemClock } from "./clock.js";
export type { StateEdit } from "./engine/state-edit.js";
export { STATE_EDIT_TYPENAME } from "./engine/state-edit.js";
export type { CounterName, FunctionGauge, GaugeSnapshot, HistogramName, Logger, MetricsSink } from "./observe.js";
export { noMetrics, silentLogger } from "./observe.js";
export { RemoteStateSpecs } from "./remote-state-specs.js";
export type { ClusterSnapshot, Limits, RuntimeOptions } from "./runtime.js";
export { Runtime } from "./runtime.js";
export type { SourceRecords, SourceSink } from "./sources.js";
// The store contract (every role and record) is at `@statefun-ts/runtime/spi`; `MemoryStore` at
// `@statefun-ts/runtime/testing`. Here: only what the Runtime's own API takes and returns.
export type { DeadLetter, EgressRow, Store, StoredMessage } from "./store/types.js";
