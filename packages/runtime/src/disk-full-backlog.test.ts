import { keyGroupOf } from "@statefun-ts/protocol";
import { statefulFunction, statefunModule, Types } from "@statefun-ts/sdk";
import { str, until } from "@statefun-ts/test-kit";
import { describe, expect, it } from "vitest";
import { Runtime } from "./runtime.js";
import { MemoryStore } from "./store/memory-store.js";
import type { CommitBatch } from "./store/types.js";

let invoked = 0;
const counter = statefulFunction({
  typename: "test/count",
  accepts: [Types.string],
  // Each run takes a turn of the event loop, as real work does, so commits go on between runs.
  async handler() {
    invoked++;
    await new Promise((resolve) => setImmediate(resolve));
  },
});

describe("a full disk and a backlog", () => {
  it("stops reading the backlog while commits fail for lack of space, and reads on once space returns", async () => {
    const keyGroups = 4;
    const store = new MemoryStore(keyGroups);
    await store.open();
    const epochs = await store.acquire("seed", [0, 1, 2, 3]);
    const backlog = 200;
    await store.commit({
      now: Date.now(),
      fence: { owner: "seed", epochs },
      touchedKeyGroups: new Set([0, 1, 2, 3]),
      ingress: [],
      consumed: [],
      cancelTokens: [],
      messages: Array.from({ length: backlog }, (_, i) => ({
        seq: i + 1,
        keyGroup: keyGroupOf(String(i), keyGroups),
        target: { namespace: "test", type: "count", id: String(i) },
        argument: str("x"),
      })),
      state: [],
      egress: [],
      replies: [],
      deadLetters: [],
      replayed: [],
    });
    // The disk is full from the start: every commit fails as better-sqlite3's would (a fake, only in this unit test).
    const disk = { full: true, failures: 0 };
    const commit = store.commit.bind(store);
    store.commit = (batch: CommitBatch) => {
      if (!disk.full) return commit(batch);
      disk.failures++;
      return Promise.reject(Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" }));
    };
    const maxBufferedMessages = 10;
    const runtime = new Runtime({
      store,
      modules: [statefunModule({ functions: [counter] })],
      limits: { maxBufferedMessages, maxInFlightInvocations: 2 },
    });
    await runtime.start();
    // A few retries later, the engine has not run the whole backlog into memory.
    await until(() => disk.failures >= 5, "five failed commits");
    expect(invoked).toBeGreaterThan(0);
    expect(invoked).toBeLessThanOrEqual(2 * maxBufferedMessages);
    disk.full = false;
    await until(() => invoked === backlog, "the whole backlog to run once space is back");
    await until(async () => (await store.stats()).messages === 0, "every message consumed");
    expect(invoked).toBe(backlog);
    await runtime.stop();
  });
});
