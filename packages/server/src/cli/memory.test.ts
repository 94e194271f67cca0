import { describe, expect, it } from "vitest";
import { DEFAULT_MEMORY, HEAP_SET_ENV, memoryLine, memoryPlan, oldSpaceLimitMiB, relaunchArgs, runMemoryBudget } from "./memory.js";

const MiB = 1024 * 1024;
const ctx = (args: string[], env: Record<string, string> = {}, execArgv: string[] = []) => ({
  argv: ["/usr/bin/node", "/x/statefun.js", ...args],
  env,
  execArgv,
});

describe("memoryPlan", () => {
  it("gives the heap 9/16 of the budget and the address cache 1/8", () => {
    expect(memoryPlan(DEFAULT_MEMORY)).toEqual({ heapMiB: 288, cacheBytes: 64 * MiB });
    expect(memoryPlan(4096 * MiB)).toEqual({ heapMiB: 2304, cacheBytes: 512 * MiB });
    expect(() => memoryPlan(128 * MiB)).toThrow("at least 256MiB");
  });
});

describe("the launcher of statefun run", () => {
  it("reads the budget from --memory, then STATEFUN_MEMORY, else 512MiB; other commands have none", () => {
    expect(runMemoryBudget(ctx(["run", "--memory", "1GiB"]))).toBe(1024 * MiB);
    expect(runMemoryBudget(ctx(["run", "m.ts", "--memory=768MiB"]))).toBe(768 * MiB);
    expect(runMemoryBudget(ctx(["run"], { STATEFUN_MEMORY: "2GiB" }))).toBe(2048 * MiB);
    expect(runMemoryBudget(ctx(["run"]))).toBe(512 * MiB);
    expect(runMemoryBudget(ctx(["send", "a/b/c", "--memory", "1GiB"]))).toBeUndefined();
  });

  it("starts node again with the heap limit, keeping node's options and the command line", () => {
    expect(relaunchArgs(ctx(["run", "m.ts", "--memory", "1GiB"], {}, ["--enable-source-maps"]))).toEqual([
      "--enable-source-maps",
      "--max-old-space-size=576",
      "/x/statefun.js",
      "run",
      "m.ts",
      "--memory",
      "1GiB",
    ]);
    expect(relaunchArgs(ctx(["run"]))).toEqual(["--max-old-space-size=288", "/x/statefun.js", "run"]);
  });

  it("leaves alone a heap limit set by hand, the process it started, other commands and a bad --memory", () => {
    expect(relaunchArgs(ctx(["run"], { NODE_OPTIONS: "--max-old-space-size=2048" }))).toBeUndefined();
    expect(relaunchArgs(ctx(["run"], {}, ["--max-old-space-size=2048"]))).toBeUndefined();
    expect(relaunchArgs(ctx(["run"], { [HEAP_SET_ENV]: "1" }))).toBeUndefined();
    expect(relaunchArgs(ctx(["state", "a/b/c"]))).toBeUndefined();
    expect(relaunchArgs(ctx(["run", "--memory", "lots"]))).toBeUndefined();
    expect(relaunchArgs(ctx(["run", "--memory", "1MiB"]))).toBeUndefined();
  });
});

describe("the startup line about memory", () => {
  it("names the old-space limit the budget set, from node's options or NODE_OPTIONS (the last wins)", () => {
    expect(oldSpaceLimitMiB({ env: {}, execArgv: ["--max-old-space-size=288"] })).toBe(288);
    expect(oldSpaceLimitMiB({ env: { NODE_OPTIONS: "--enable-source-maps --max_old_space_size=100" }, execArgv: [] })).toBe(100);
    expect(oldSpaceLimitMiB({ env: { NODE_OPTIONS: "--max-old-space-size=100" }, execArgv: ["--max-old-space-size=288"] })).toBe(288);
    expect(oldSpaceLimitMiB({ env: {}, execArgv: ["--cpu-prof"] })).toBeUndefined();
    const line = memoryLine(64 * MiB, { env: {}, execArgv: ["--max-old-space-size=288"] });
    expect(line).toMatch(/^memory: old-space limit 288MiB \(V8 heap limit \d+MiB with the young generation\), instance cache 64MiB$/);
    expect(memoryLine(64 * MiB, { env: {}, execArgv: [] })).toMatch(
      /^memory: V8 heap limit \d+MiB \(V8's default: no --max-old-space-size\)/,
    );
  });
});
