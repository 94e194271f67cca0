export type { Connection } from "./connect.js";
export type { Migration } from "./migrations.js";
export { migrations } from "./migrations.js";
export type { PostgresStoreOptions } from "./postgres-store.js";
export { PostgresStore } from "./postgres-store.js";
export { storeFromUrl } from "./url.js";
