import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SqliteStore } from "@statefun-ts/store-sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { addr, range } from "./helpers.js";

const distIndex = fileURLToPath(new URL("../../packages/store-sqlite/dist/index.js", import.meta.url));
const child = fileURLToPath(new URL("./fixtures/commit-loop.mjs", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "statefun-store-crash-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the child until it acknowledged `commits` commits, then SIGKILLs it; returns the acknowledged `[n, seq]`s. */
async function commitThenKill(commits: number, whileRunning: () => Promise<void>): Promise<Array<[number, number]>> {
  const proc: ChildProcess = spawn(process.execPath, [child, distIndex, dir], { stdio: ["ignore", "pipe", "pipe"] });
  const acked: Array<[number, number]> = [];
  let stderr = "";
  proc.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.on("exit", (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    let buffered = "";
    proc.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        if (line === "ready") continue;
        const [n, seq] = line.split(" ").map(Number);
        acked.push([n!, seq!]);
      }
      if (acked.length >= commits) resolve();
    });
    exited.then(() => reject(new Error(`child exited early: ${stderr}`)));
  });
  await whileRunning();
  proc.kill("SIGKILL");
  expect(await exited).toBe("SIGKILL");
  return acked;
}

describe("SqliteStore crash durability", () => {
  it("keeps every commit that resolved before a SIGKILL, and locks out other processes while running", async () => {
    expect(existsSync(distIndex), `build first: npx tsc -b packages/store-sqlite (${distIndex})`).toBe(true);
    const target = addr("c", "counter", "crash");
    let expectedFirst = 1;
    for (const commits of [150 + Math.floor(Math.random() * 200), 50 + Math.floor(Math.random() * 100)]) {
      const acked = await commitThenKill(commits, async () => {
        await expect(new SqliteStore({ dir }).open()).rejects.toMatchObject({ code: "STATEFUN_BAD_CONFIG" });
      });
      expect(acked[0]![0]).toBe(expectedFirst);
      const last = acked.at(-1)![0];

      const store = new SqliteStore({ dir });
      await store.open();
      try {
        const [count] = await store.loadState(target);
        const stored = Number(new TextDecoder().decode(count!.value.value));
        // Every acknowledged commit is there; at most the one in flight when killed is there too.
        expect(stored === last || stored === last + 1).toBe(true);
        const seqs = new Set((await store.loadMessages(range(4), 0, 1_000_000)).map((m) => m.seq));
        expect(seqs.size).toBe(stored);
        for (const [, seq] of acked) expect(seqs.has(seq)).toBe(true);
        expectedFirst = stored + 1;
      } finally {
        await store.close();
      }
    }
  });
});
