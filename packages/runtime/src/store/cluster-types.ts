// The cluster types now live with their roles (leases.ts, engine-store.ts, egress-outbox.ts); this
// file keeps the old import path working.
export type { EgressClaim } from "./egress-outbox.js";
export type { MessagePage, StoreChange } from "./engine-store.js";
export type { ClusterView, Lease } from "./leases.js";
