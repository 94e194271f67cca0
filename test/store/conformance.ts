import type { Fence, Store, StoreInfo } from "@statefun-ts/runtime/spi";
import { afterEach, beforeEach, describe } from "vitest";
import { clusterTests } from "./conformance-cluster.js";
import { delivererLeaseTests } from "./conformance-deliverer-leases.js";
import { durabilityTests } from "./conformance-durability.js";
import { egressDeliveryTests } from "./conformance-egress-delivery.js";
import { expiryTests } from "./conformance-expiry.js";
import { leaseTests } from "./conformance-leases.js";
import { messageTests } from "./conformance-messages.js";
import { moduleCatalogTests } from "./conformance-module-catalog.js";
import { propertyTests } from "./conformance-property.js";
import { recordTests } from "./conformance-records.js";
import { sourcePositionTests } from "./conformance-source-positions.js";
import { type MakeStore, range, type StoreHarness } from "./helpers.js";

export type { MakeStore, StoreHarness } from "./helpers.js";

/** The store under test in one test case, reset before each. */
export interface Context {
  readonly makeStore: MakeStore;
  /** The key groups of the store each test starts with. */
  readonly keyGroups: number;
  /** The open store (replaced by `reopen`). */
  store: Store;
  /** What the last `open()` returned. */
  info: StoreInfo;
  /** Owner `worker-1`, holding every key group. */
  fence: Fence;
  /** Closes and reopens the same data, opened; returns the new store. */
  reopen(options?: { keyGroups?: number }): Promise<Store>;
}

/**
 * The store conformance suite: every method of `Store` and every rule of `CommitBatch`.
 * Run it once per implementation, e.g. `storeConformance("sqlite", makeSqliteHarness)`.
 */
export function storeConformance(name: string, makeStore: MakeStore): void {
  describe(`${name} store conformance`, () => {
    let harness: StoreHarness | undefined;
    const ctx: Context = {
      makeStore,
      keyGroups: 8,
      store: undefined as unknown as Store,
      info: undefined as unknown as StoreInfo,
      fence: undefined as unknown as Fence,
      async reopen(options) {
        if (harness === undefined) throw new Error("no store");
        ctx.store = await harness.reopen(options);
        ctx.info = await ctx.store.open();
        return ctx.store;
      },
    };

    beforeEach(async () => {
      harness = await makeStore({ keyGroups: ctx.keyGroups });
      ctx.store = harness.store;
      ctx.info = await ctx.store.open();
      ctx.fence = { owner: "worker-1", epochs: await ctx.store.acquire("worker-1", range(ctx.keyGroups)) };
    });
    afterEach(async () => {
      await harness?.cleanup();
      harness = undefined;
    });

    leaseTests(ctx);
    messageTests(ctx);
    recordTests(ctx);
    durabilityTests(ctx);
    expiryTests(ctx);
    propertyTests(ctx);
    moduleCatalogTests(ctx);
    clusterTests(ctx);
    sourcePositionTests(ctx);
    egressDeliveryTests(ctx);
    delivererLeaseTests(ctx);
  });
}
