import { MemoryStore } from "@statefun-ts/runtime/testing";
import { storeConformance } from "./conformance.js";

// The in-memory store keeps its data in the instance: "reopening" is closing and opening it again.
storeConformance("memory", async (options = {}) => {
  const store = new MemoryStore(options.keyGroups);
  return {
    store,
    async reopen() {
      await store.close();
      return store;
    },
    async cleanup() {
      await store.close();
    },
  };
});
