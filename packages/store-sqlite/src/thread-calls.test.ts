import type { StoredMessage } from "@statefun-ts/runtime/spi";
import { describe, expect, it } from "vitest";
import { answered, messagesReply } from "./thread-calls.js";

const message = (seq: number, id: string, extra: Partial<StoredMessage> = {}): StoredMessage => ({
  seq,
  keyGroup: seq % 3,
  target: { namespace: "ns", type: "fn", id },
  argument: { typename: "t/int", value: new Uint8Array([seq, 1]) },
  ...extra,
});

/** The reply as the engine's thread receives it. */
const posted = (value: StoredMessage[] | { messages: StoredMessage[]; next: number }) => {
  const { reply, transfer } = messagesReply(7, value);
  return structuredClone(reply, { transfer }) as typeof reply & { error?: undefined };
};

describe("replies to reads of messages", () => {
  it("carry a list or a page's messages flat, and give them back as they were read", () => {
    const list = [message(1, "a"), message(2, "a", { caller: { namespace: "in", type: "x", id: "c" } }), message(3, "ü")];
    const reply = posted(list);
    expect(reply.value).toBeUndefined();
    expect(reply.messages?.counts).toEqual([3]);
    expect(answered(reply)).toEqual(list);
    const page = posted({ messages: list, next: 42 });
    expect(page.value).toEqual({ messages: [], next: 42 });
    expect(answered(page)).toEqual({ messages: list, next: 42 });
    expect(answered(posted([]))).toEqual([]);
  });

  it("carry messages with a delay or a cancellation token as they are", () => {
    const list = [message(1, "a"), message(2, "b", { dueAt: 5, cancellationToken: "t" })];
    const reply = posted(list);
    expect(reply.messages).toBeUndefined();
    expect(answered(reply)).toEqual(list);
  });
});
