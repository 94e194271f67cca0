/**
 * Test-only parts of the runtime (`@statefun-ts/runtime/testing`): not for production use.
 * `MemoryStore` keeps everything in the process and passes the store conformance suite.
 */
export type { MemoryStoreOptions } from "./store/memory-store.js";
export { MemoryStore } from "./store/memory-store.js";
