import type { CommitBatch, IngressMessage, Store, StoredMessage } from "@statefun-ts/runtime/spi";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Context } from "./conformance.js";
import { addr, batch, range, stateOf } from "./helpers.js";
import { StoreModel } from "./model.js";

const K = 4;
const ids = ["a", "b", "c"] as const;
const tokens = ["t1", "t2"] as const;
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const messageSpec = fc.record({
  keyGroup: fc.nat(K - 1),
  id: fc.constantFrom(...ids),
  caller: fc.boolean(),
  bytes: fc.uint8Array({ maxLength: 5 }),
  dueAt: maybe(fc.integer({ min: 0, max: 50 })),
  token: maybe(fc.constantFrom(...tokens)),
});

const batchSpec = fc.record({
  ingress: fc.array(fc.record({ message: messageSpec, key: maybe(fc.constantFrom("k1", "k2", "k3")) }), { maxLength: 3 }),
  consume: fc.array(fc.nat(), { maxLength: 4 }),
  cancel: fc.array(fc.constantFrom(...tokens), { maxLength: 2 }),
  messages: fc.array(messageSpec, { maxLength: 5 }),
  state: fc.array(
    fc.record({
      id: fc.constantFrom(...ids),
      name: fc.constantFrom("x", "y"),
      value: fc.option(fc.uint8Array({ maxLength: 4 }), { nil: null }),
      expiresAt: maybe(fc.integer({ min: 0, max: 1_000 })),
    }),
    { maxLength: 4 },
  ),
  reopen: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
});

type MessageSpec = typeof messageSpec extends fc.Arbitrary<infer T> ? T : never;
type BatchSpec = typeof batchSpec extends fc.Arbitrary<infer T> ? T : never;

function toMessage(seq: number, spec: MessageSpec): StoredMessage {
  return {
    seq,
    keyGroup: spec.keyGroup,
    target: addr(spec.id),
    argument: { typename: "test.types/bytes", value: spec.bytes },
    ...(spec.caller ? { caller: addr(`caller-${seq}`, "caller") } : {}),
    ...(spec.dueAt === undefined ? {} : { dueAt: spec.dueAt }),
    ...(spec.token === undefined ? {} : { cancellationToken: spec.token }),
  };
}

async function toBatch(store: Store, model: StoreModel, fence: CommitBatch["fence"], spec: BatchSpec): Promise<CommitBatch> {
  const first = await store.allocateSeqs(spec.ingress.length + spec.messages.length);
  const ingress: IngressMessage[] = spec.ingress.map((i, n) => ({
    ...toMessage(first + n, i.message),
    requestId: `req-${first + n}`,
    ...(i.key === undefined ? {} : { idempotencyKey: i.key }),
  }));
  const messages = spec.messages.map((m, n) => toMessage(first + spec.ingress.length + n, m));
  const pending = [...model.messages.keys()].sort((a, b) => a - b);
  const consumed = pending.length === 0 ? [] : spec.consume.map((n) => pending[n % pending.length]!);
  const state = spec.state.map((w) => ({
    address: addr(w.id),
    keyGroup: 0,
    name: w.name,
    value: w.value === null ? null : { typename: "test.types/bytes", value: w.value },
    expiresAt: w.expiresAt,
  }));
  return batch(fence, { ingress, consumed, cancelTokens: spec.cancel, messages, state });
}

export function propertyTests(ctx: Context): void {
  describe("against an in-memory model", () => {
    it("gives the model's messages, timers, state and duplicates after random commits", async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(batchSpec, { minLength: 1, maxLength: 12 }), async (specs) => {
          const harness = await ctx.makeStore({ keyGroups: K });
          try {
            let store = harness.store;
            await store.open();
            const fence = { owner: "model", epochs: await store.acquire("model", range(K)) };
            const model = new StoreModel();
            for (const spec of specs) {
              const b = await toBatch(store, model, fence, spec);
              const expected = model.commit(b);
              expect((await store.commit(b)).duplicates).toEqual(expected);
              if (spec.reopen) {
                store = await harness.reopen();
                await store.open();
              }
            }
            for (const kgs of [range(K), [1, 3]]) {
              expect(await store.loadMessages(kgs, 0, 1_000)).toEqual(model.loadMessages(kgs, 0, 1_000));
              expect(await store.loadMessages(kgs, 5, 3)).toEqual(model.loadMessages(kgs, 5, 3));
              expect(await store.loadTimers(kgs, undefined, 1_000, 1_000)).toEqual(model.loadTimers(kgs, undefined, 1_000, 1_000));
              const after = { dueAt: 20, seq: 10 };
              expect(await store.loadTimers(kgs, after, 40, 3)).toEqual(model.loadTimers(kgs, after, 40, 3));
            }
            for (const id of ids) expect(await stateOf(store, addr(id))).toEqual(model.loadState(addr(id)));
          } finally {
            await harness.cleanup();
          }
        }),
        { numRuns: 50 },
      );
    });
  });
}
