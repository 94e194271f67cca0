import { describe, expect, it } from "vitest";
import { MemoryStore } from "../store/memory-store.js";
import { SingleOwnerInbox } from "./inbox.js";

describe("SingleOwnerInbox", () => {
  it("reads the store only for messages memory could not take: a commit of none, with memory over its limit, leaves none there", async () => {
    let buffered = 0;
    const delivered: number[] = [];
    const inbox = new SingleOwnerInbox({
      store: new MemoryStore(4),
      keyGroups: () => [0, 1, 2, 3],
      maxBuffered: 10,
      buffered: () => buffered,
      deliver: (m) => delivered.push(m.seq),
      onError: (error) => {
        throw error;
      },
    });
    inbox.pump();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(inbox.backlogInStore).toBe(false);
    // Messages handed over before their commit (a source's, see `EarlySources`) fill memory past the limit.
    buffered = 25;
    inbox.committed([], 0);
    expect(inbox.backlogInStore).toBe(false);
    // A commit whose messages do not fit is read back from the store once there is room.
    const message = {
      seq: 1,
      keyGroup: 0,
      target: { namespace: "test", type: "f", id: "a" },
      argument: { typename: "t", value: new Uint8Array() },
    };
    inbox.committed([message], 1);
    expect(inbox.backlogInStore).toBe(true);
    expect(delivered).toEqual([]);
  });
});
