import { describe, expect, it } from "vitest";
import type { MessagePage, Store, StoredMessage } from "../store/types.js";
import { ClusterInbox } from "./cluster-inbox.js";

const message = (seq: number): StoredMessage => ({
  seq,
  keyGroup: 0,
  target: { namespace: "t", type: "x", id: String(seq) },
  argument: { typename: "t/x", value: new Uint8Array(0) },
});

/** A store whose reads answer only when the test says so. */
function slowStore() {
  const reads: ((page: MessagePage) => void)[] = [];
  const store = {
    loadMessagesSince: () => new Promise<MessagePage>((resolve) => reads.push(resolve)),
  } as unknown as Store;
  return { store, reads };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

function inbox(store: Store, delivered: number[]) {
  return new ClusterInbox({
    store,
    keyGroups: () => [0],
    owns: () => true,
    maxBuffered: 100,
    buffered: () => 0,
    deliver: (m) => delivered.push(m.seq),
    onError: (error) => {
      throw error;
    },
  });
}

describe("ClusterInbox", () => {
  it("hands own commits over in memory while a wake-up reads the store, but not while a backlog does", async () => {
    const { store, reads } = slowStore();
    const delivered: number[] = [];
    const box = inbox(store, delivered);
    // At start: a backlog. An own commit during the read is not handed over (it could overtake older messages).
    box.pump();
    box.committed([message(1)], 1);
    expect(delivered).toEqual([]);
    reads.shift()!({ messages: [], next: 10 });
    await settle();
    // The commit landed during the read: read again, then caught up.
    reads.shift()!({ messages: [message(1)], next: 11 });
    await settle();
    expect(delivered).toEqual([1]);
    expect(box.backlogInStore).toBe(false);

    // Another worker committed: the store is read, and own commits still go straight to their mailboxes.
    box.wake();
    expect(box.backlogInStore).toBe(true);
    box.committed([message(2)], 2);
    expect(delivered).toEqual([1, 2]);
    // The read returns the other worker's message and the own one again: delivered once.
    reads.shift()!({ messages: [message(2), message(3)], next: 12 });
    await settle();
    expect(delivered).toEqual([1, 2, 3]);
    expect(box.backlogInStore).toBe(false);
    expect(reads).toHaveLength(0);

    // Newly acquired key groups: a backlog again, own commits wait for the read.
    box.reset();
    box.committed([message(4)], 4);
    expect(delivered).toEqual([1, 2, 3]);
    reads.shift()!({ messages: [message(4)], next: 13 });
    await settle();
    reads.shift()!({ messages: [], next: 13 });
    await settle();
    expect(delivered).toEqual([1, 2, 3, 4]);
    expect(box.backlogInStore).toBe(false);
  });
});
