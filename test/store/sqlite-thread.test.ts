import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { StatefunError } from "@statefun-ts/protocol";
import type { Store } from "@statefun-ts/runtime/spi";
import { SqliteStore, ThreadedSqliteStore } from "@statefun-ts/store-sqlite";
import { describe, expect, it, vi } from "vitest";
import { storeConformance } from "./conformance.js";
import { addr, batch, type MakeStore, message, stateWrite } from "./helpers.js";

// The store whose SQLite work runs on a worker thread passes the same suite as the direct one.
const makeThreadedStore: MakeStore = async (options = {}) => {
  const dir = mkdtempSync(join(tmpdir(), "statefun-store-sqlite-thread-"));
  let current = new ThreadedSqliteStore({ dir, keyGroups: options.keyGroups });
  return {
    store: current,
    async reopen(again = {}) {
      await current.close();
      current = new ThreadedSqliteStore({ dir, keyGroups: again.keyGroups });
      return current;
    },
    async cleanup() {
      await current.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

// Every open starts a thread: the model-based test, which reopens stores often, needs longer on a busy machine.
vi.setConfig({ testTimeout: 180_000 });
storeConformance("sqlite on a worker thread", makeThreadedStore);

describe("ThreadedSqliteStore", () => {
  it("says its commits run off the engine's thread, and the direct store does not", () => {
    expect(new ThreadedSqliteStore({ dir: "x" }).commitsOffThread).toBe(true);
    const direct: Store = new SqliteStore({ dir: "x" });
    expect(direct.commitsOffThread).toBeUndefined();
  });

  it("checks its options where it is made, with the direct store's errors", () => {
    expect(() => new ThreadedSqliteStore({ dir: "x", keyGroups: 0 })).toThrow(/keyGroups/);
    expect(() => new ThreadedSqliteStore({ dir: "x", synchronous: "off" as "full" })).toThrow(StatefunError);
  });

  it("holds the data directory's lock on its thread: a second store, threaded or not, is refused with the code", async () => {
    const dir = mkdtempSync(join(tmpdir(), "statefun-store-sqlite-thread-"));
    const first = new ThreadedSqliteStore({ dir });
    await first.open();
    try {
      await expect(new ThreadedSqliteStore({ dir }).open()).rejects.toMatchObject({ code: "STATEFUN_BAD_CONFIG", message: /in use/ });
      await expect(new SqliteStore({ dir }).open()).rejects.toMatchObject({ code: "STATEFUN_BAD_CONFIG" });
      expect(await first.settings()).toEqual({ journalMode: "wal", synchronous: 2, lockingMode: "exclusive", busyTimeout: 5000 });
    } finally {
      await first.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("queues commits: one posted while the one before is unanswered is refused unapplied when that one fails", async () => {
    const dir = mkdtempSync(join(tmpdir(), "statefun-store-sqlite-thread-"));
    const store = new ThreadedSqliteStore({ dir, keyGroups: 4 });
    try {
      expect(store.queuesCommits).toBe(true);
      await store.open();
      const epochs = await store.acquire("w", [0, 1, 2, 3]);
      const fence = { owner: "w", epochs };
      const stale = { owner: "w", epochs: new Map([...epochs].map(([kg, epoch]) => [kg, epoch + 1])) };
      // Posted back to back: the second is handed over before the first is answered.
      const failing = store.commit(batch(stale, { messages: [message(1, 0)] }));
      const after = store.commit(batch(fence, { messages: [message(2, 1)] }));
      await expect(failing).rejects.toMatchObject({ code: "STATEFUN_FENCED" });
      await expect(after).rejects.toMatchObject({ code: "STATEFUN_FENCED", message: /not applied, the commit before it failed/ });
      expect(await store.loadMessages([0, 1, 2, 3], 0, 10)).toEqual([]);
      // A commit posted once the failure was answered depends on nothing: it applies.
      await store.commit(batch(fence, { messages: [message(3, 1)] }));
      expect((await store.loadMessages([0, 1, 2, 3], 0, 10)).map((m) => m.seq)).toEqual([3]);
      // Commits posted back to back that succeed all apply, in order.
      const ok = [4, 5, 6].map((seq) => store.commit(batch(fence, { messages: [message(seq, 2)], consumed: [seq - 1] })));
      await Promise.all(ok);
      expect((await store.loadMessages([0, 1, 2, 3], 0, 10)).map((m) => m.seq)).toEqual([6]);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("takes the state loads asked for in one turn to the thread in one call, each seeing the commits posted before it and none after", async () => {
    const dir = mkdtempSync(join(tmpdir(), "statefun-store-sqlite-thread-"));
    const store = new ThreadedSqliteStore({ dir, keyGroups: 4 });
    const posted = vi.spyOn(Worker.prototype, "postMessage");
    try {
      await store.open();
      const fence = { owner: "w", epochs: await store.acquire("w", [0, 1, 2, 3]) };
      await store.commit(batch(fence, { state: [stateWrite("a", "n"), stateWrite("b", "n")] }));
      posted.mockClear();
      // In one turn: loads of a, b and c, a commit that writes c, then c again.
      const before = ["a", "b", "c"].map((id) => store.loadState(addr(id)));
      const committed = store.commit(batch(fence, { state: [stateWrite("c", "n")] }));
      const after = store.loadState(addr("c"));
      const names = async (load: Promise<{ name: string }[]>) => (await load).map((e) => e.name);
      expect(await Promise.all(before.map(names))).toEqual([["n"], ["n"], []]);
      await committed;
      expect(await names(after)).toEqual(["n"]);
      // The three loads crossed together, before the commit; the last alone, after it.
      expect(posted.mock.calls.map(([call]) => (call as { method: string }).method)).toEqual(["loadStates", "commitEncoded", "loadState"]);
    } finally {
      posted.mockRestore();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("answers each commit with its own time in the store, without the wait behind the commits posted before it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "statefun-store-sqlite-thread-"));
    const store = new ThreadedSqliteStore({ dir, keyGroups: 4 });
    try {
      await store.open();
      const fence = { owner: "w", epochs: await store.acquire("w", [0, 1, 2, 3]) };
      const big = batch(fence, { messages: Array.from({ length: 20_000 }, (_, i) => message(i + 1, i % 4)) });
      // Posted back to back: the small one waits for the big one (or shares its transaction).
      const first = store.commit(big);
      const posted = performance.now();
      const second = await store.commit(batch(fence, { messages: [message(20_001, 0)] }));
      const waited = performance.now() - posted;
      const own = (await first).storeMs;
      expect(own).toBeGreaterThan(0);
      expect(second.storeMs).toBeGreaterThan(0);
      expect(second.storeMs!).toBeLessThan(waited);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fails calls after close with STATEFUN_CLOSED", async () => {
    const dir = mkdtempSync(join(tmpdir(), "statefun-store-sqlite-thread-"));
    const store = new ThreadedSqliteStore({ dir });
    await store.open();
    await store.close();
    await expect(store.stats()).rejects.toMatchObject({ code: "STATEFUN_CLOSED" });
    await expect(store.loadState(addr("a"))).rejects.toMatchObject({ code: "STATEFUN_CLOSED" });
    rmSync(dir, { recursive: true, force: true });
  });
});
