import { describe, expect, it } from "vitest";
import { systemClock } from "../clock.js";
import { noMetrics } from "../observe.js";
import { MemoryStore } from "../store/memory-store.js";
import type { CommitBatch } from "../store/types.js";
import { unit } from "./commit-unit.js";
import { Committer } from "./committer.js";

describe("Committer", () => {
  it("commits a unit marked alone in a batch of its own, ahead of queued units, and reports the store's time", async () => {
    const store = new MemoryStore(4);
    await store.open();
    const epochs = await store.acquire("w", [0, 1, 2, 3]);
    const batches: string[][] = [];
    const commit = store.commit.bind(store);
    store.commit = (batch: CommitBatch) => {
      batches.push(batch.replies.map((r) => r.requestId));
      return commit(batch);
    };
    const committer = new Committer(
      store,
      () => ({ owner: "w", epochs }),
      100,
      systemClock,
      noMetrics,
      () => {},
      (error) => {
        throw error;
      },
    );
    const reply = (id: string) => [{ requestId: id, argument: { typename: "t/x", value: new Uint8Array(0) } }];
    const times: number[] = [];
    committer.enqueue(unit({ replies: reply("a") }));
    committer.enqueue(unit({ replies: reply("b") }));
    committer.enqueue(unit({ replies: reply("sweep-1"), alone: true, committed: (_s, _d, ms) => times.push(ms) }));
    committer.enqueue(unit({ replies: reply("sweep-2"), alone: true }));
    committer.enqueue(unit({ replies: reply("c") }));
    await committer.flush();
    expect(batches).toEqual([["sweep-1"], ["sweep-2"], ["a", "b", "c"]]);
    expect(times).toHaveLength(1);
    expect(times[0]).toBeGreaterThanOrEqual(0);
  });
});
