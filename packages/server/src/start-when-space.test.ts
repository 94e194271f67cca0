import { silentLogger } from "@statefun-ts/runtime";
import { describe, expect, it } from "vitest";
import { StartWhenSpace } from "./start-when-space.js";

const full = () =>
  new Error("cannot open statefun.db: database or disk is full", { cause: Object.assign(new Error("full"), { code: "SQLITE_FULL" }) });

describe("StartWhenSpace", () => {
  it("tries the start again while it fails for lack of space, telling readiness why, and starts once there is space", async () => {
    const waiting = new StartWhenSpace(silentLogger);
    const seen: string[][] = [];
    let attempts = 0;
    await waiting.start({
      async start() {
        attempts++;
        seen.push(waiting.problems());
        if (attempts < 3) throw full();
      },
    });
    expect(attempts).toBe(3);
    expect(seen[0]).toEqual([]);
    expect(seen[2]).toEqual([expect.stringContaining("disk is full")]);
    expect(waiting.problems()).toEqual([]);
  });

  it("throws any other failure at once", async () => {
    const waiting = new StartWhenSpace(silentLogger);
    await expect(waiting.start({ start: () => Promise.reject(new Error("the database is locked")) })).rejects.toThrow("locked");
    expect(waiting.problems()).toEqual([]);
  });
});
