export type { Migration } from "./migrations.js";
export { migrations } from "./migrations.js";
export type { SqliteStoreOptions } from "./sqlite-store.js";
export { SqliteStore } from "./sqlite-store.js";
export { ThreadedSqliteStore } from "./threaded-store.js";
