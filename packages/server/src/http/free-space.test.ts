import { silentLogger } from "@statefun-ts/runtime";
import { describe, expect, it } from "vitest";
import { FreeSpaceWatch } from "./free-space.js";

describe("FreeSpaceWatch", () => {
  it("is low while free space is under the watermark and clears by itself when space returns", async () => {
    let free = 1000;
    const watch = new FreeSpaceWatch({ dir: ".", minFreeBytes: 500, logger: silentLogger, read: async () => free });
    await watch.check();
    expect(watch.low).toBe(false);
    free = 499;
    await watch.check();
    expect(watch).toMatchObject({ low: true, free: 499 });
    free = 500;
    await watch.check();
    expect(watch.low).toBe(false);
  });

  it("keeps its last judgement when free space cannot be read", async () => {
    let fail = false;
    const watch = new FreeSpaceWatch({
      dir: ".",
      minFreeBytes: 500,
      logger: silentLogger,
      read: async () => {
        if (fail) throw new Error("EIO");
        return 1;
      },
    });
    await watch.check();
    fail = true;
    await watch.check();
    expect(watch.low).toBe(true);
  });
});
