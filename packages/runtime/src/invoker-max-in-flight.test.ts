import type { Effects } from "@statefun-ts/protocol";
import { str, until } from "@statefun-ts/test-kit";
import { afterEach, describe, expect, it } from "vitest";
import type { Binding, InvokeRequest } from "./binding.js";
import { Runtime } from "./runtime.js";
import { MemoryStore } from "./store/memory-store.js";

const none = (): Effects => ({ messages: [], delayed: [], egress: [], state: new Map() });

/** A binding of test/f whose invocations run until the test finishes them, at most `maxInFlight` at once. */
function heldBinding(maxInFlight: number) {
  const calls: { id: string; size: number; finish: () => void; request: InvokeRequest }[] = [];
  let running = 0;
  let most = 0;
  const binding: Binding = {
    typename: "test/f",
    specs: () => [],
    retry: { maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0 },
    invoker: {
      maxBatch: 100,
      maxInFlight,
      invoke(request: InvokeRequest) {
        running++;
        most = Math.max(most, running);
        return new Promise<Effects>((resolve) => {
          calls.push({
            id: request.address.id,
            size: request.messages.length,
            request,
            finish: () => {
              running--;
              resolve(none());
            },
          });
        });
      },
    },
  };
  return { binding, calls, most: () => most };
}

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

const at = (id: string) => ({ namespace: "test", type: "f", id });

describe("an invoker's maxInFlight", () => {
  it("runs at most that many invocations at once; an address past it batches what arrives while it waits", async () => {
    const held = heldBinding(2);
    runtime = new Runtime({ store: new MemoryStore() });
    runtime.bind(held.binding);
    await runtime.start();
    for (const id of ["a", "b", "c", "d"]) await runtime.ingest({ target: at(id), argument: str("1") });
    await until(() => held.calls.length === 2, "two invocations to start");
    // c waits for a slot: more messages for it join its mailbox instead of making requests of their own.
    for (const n of ["2", "3", "4"]) await runtime.ingest({ target: at("c"), argument: str(n) });
    expect(held.calls.map((c) => c.id)).toEqual(["a", "b"]);

    held.calls[0]!.finish();
    await until(() => held.calls.length === 3, "c to take a's slot");
    expect(held.calls[2]).toMatchObject({ id: "c", size: 4 });
    held.calls[1]!.finish();
    await until(() => held.calls.length === 4, "d to take b's slot");
    expect(held.calls[3]).toMatchObject({ id: "d", size: 1 });
    held.calls[2]!.finish();
    held.calls[3]!.finish();
    expect(held.most()).toBe(2);
  });

  it("a binding replaced while addresses wait runs them with the new one", async () => {
    const old = heldBinding(1);
    runtime = new Runtime({ store: new MemoryStore() });
    runtime.bind(old.binding);
    await runtime.start();
    for (const id of ["a", "b", "c"]) await runtime.ingest({ target: at(id), argument: str("1") });
    await until(() => old.calls.length === 1, "a to start");
    const replacement = heldBinding(5);
    runtime.bind(replacement.binding);
    old.calls[0]!.finish();
    await until(() => replacement.calls.length === 2, "b and c to run on the new binding");
    expect(replacement.calls.map((c) => c.id).sort()).toEqual(["b", "c"]);
    expect(old.calls).toHaveLength(1);
    for (const c of replacement.calls) c.finish();
  });

  it("an invocation that releases its slot (a remote call backing off) lets a waiting address start, and frees nothing more when it ends", async () => {
    const held = heldBinding(1);
    runtime = new Runtime({ store: new MemoryStore() });
    runtime.bind(held.binding);
    await runtime.start();
    for (const id of ["a", "b", "c"]) await runtime.ingest({ target: at(id), argument: str("1") });
    await until(() => held.calls.length === 1, "a to start");
    held.calls[0]!.request.releaseSlot?.();
    held.calls[0]!.request.releaseSlot?.(); // a second release frees nothing more
    await until(() => held.calls.length === 2, "b to take the slot a released");
    held.calls[0]!.finish(); // a ends: its slot was released already, so c still waits for b's
    await runtime.ingest({ target: at("a"), argument: str("2") });
    expect(held.calls.map((c) => c.id)).toEqual(["a", "b"]);
    held.calls[1]!.finish();
    await until(() => held.calls.length === 3, "c to take b's slot");
    expect(held.calls[2]!.id).toBe("c");
    held.calls[2]!.finish();
    await until(() => held.calls.length === 4, "a's second message");
    held.calls[3]!.finish();
  });
});
