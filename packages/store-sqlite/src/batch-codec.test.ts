import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CommitBatch, CommitResult } from "@statefun-ts/runtime/spi";
import { describe, expect, it } from "vitest";
import { decodeBatch, encodeBatch } from "./batch-codec.js";
import { SqliteStore } from "./sqlite-store.js";

const address = (id: string) => ({ namespace: "ns", type: "fn", id });
const bytes = (...b: number[]) => new Uint8Array(b);

const batch: CommitBatch = {
  now: 1_700_000_000_000,
  fence: { owner: "w", epochs: new Map([[3, 7]]) },
  touchedKeyGroups: new Set([3]),
  ingress: [{ seq: 1, keyGroup: 3, target: address("a"), argument: { typename: "t/int", value: bytes(1) }, requestId: "r1" }],
  consumed: [5, 9_007_199_254_740_991],
  cancelTokens: ["tok"],
  messages: [
    { seq: 2, keyGroup: 3, target: address("ä😀 b"), argument: { typename: "t/int", value: bytes(0, 0, 0, 42) } },
    {
      seq: 3,
      keyGroup: 0,
      target: address(""),
      caller: { namespace: "in", type: "caller", id: "c" },
      argument: { typename: "t/empty", value: bytes() },
      dueAt: 1_700_000_000_500,
      cancellationToken: "tok-2",
    },
  ],
  state: [
    { address: address("a"), keyGroup: 3, name: "count", value: { typename: "t/int", value: bytes(9, 8) }, expiresAt: 123 },
    { address: address("a"), keyGroup: 3, name: "gone", value: null },
    { address: address("b"), keyGroup: 1, name: "", value: { typename: "", value: bytes() } },
  ],
  egress: [
    { egress: "io/out", topic: "", argument: { typename: "t/rec", value: bytes(1, 2, 3) }, createdAt: 1_700_000_000_001 },
    { egress: "io/out", topic: "", argument: { typename: "t/rec", value: bytes() }, createdAt: 1_700_000_000_001 },
    { egress: "ä😀/http", topic: "t", argument: { typename: "t/int", value: bytes(7) }, createdAt: 5 },
  ],
  replies: [{ requestId: "r1", argument: { typename: "t/int", value: bytes(2) } }],
  deadLetters: [],
  replayed: [4],
};

/** Drops keys whose value is undefined: the decoded batch may carry them explicitly. */
const defined = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value, (_, v) => (v instanceof Uint8Array ? [...v] : v instanceof Map || v instanceof Set ? [...v] : v)));

describe("the commit batch's compact form (posted to the store's thread)", () => {
  it("decodes to the batch it encoded: optional fields, deletions, empty and non-ASCII strings, empty values", () => {
    const { encoded, transfer } = encodeBatch(batch);
    const decoded = decodeBatch(structuredClone(encoded, { transfer }));
    expect(defined(decoded)).toEqual(defined(batch));
    expect(decoded.fence.epochs).toEqual(batch.fence.epochs);
    expect(decoded.messages[1]!.caller).toEqual({ namespace: "in", type: "caller", id: "c" });
    expect(decoded.messages[0]!.caller).toBeUndefined();
    expect(decoded.state[1]!.value).toBeNull();
    expect(decoded.state[1]!.expiresAt).toBeUndefined();
    expect([...decoded.messages[0]!.argument.value]).toEqual([0, 0, 0, 42]);
  });

  it("sends the egress records flat, not as an object each, and decodes them to the records", () => {
    const { encoded, transfer } = encodeBatch(batch);
    expect(encoded.egressCount).toBe(3);
    expect("egress" in encoded.rest).toBe(false);
    const decoded = decodeBatch(structuredClone(encoded, { transfer }));
    expect(defined(decoded.egress)).toEqual(defined(batch.egress));
  });

  it("sends the messages of source advances flat, each value copied out of the buffer it is a view of, and decodes them to the advances", () => {
    const fetched = new Uint8Array(64 * 1024).fill(7); // a Kafka fetch: every record's value a view of it
    const record = (seq: number, id: string, at: number) => ({
      seq,
      keyGroup: seq % 4,
      target: address(id),
      argument: { typename: "t/rec", value: fetched.subarray(at, at + 3) },
    });
    const deadLetter = { message: record(99, "x", 9), error: "bad", attempts: 1, failedAt: 5 };
    const sources = [
      {
        source: "kafka:in",
        partition: "t/0",
        from: null,
        to: 3,
        messages: [record(20, "a", 0), record(21, "a", 3), record(22, "é", 6)],
        deadLetters: [],
      },
      { source: "kafka:in", partition: "t/1", from: 7, to: 8, messages: [], deadLetters: [deadLetter] },
      {
        source: "kafka:in",
        partition: "t/2",
        from: 1,
        to: 2,
        messages: [{ ...record(23, "b", 0), caller: address("c") }],
        deadLetters: [],
      },
    ];
    const { encoded, transfer } = encodeBatch({ ...batch, sources });
    expect(encoded.rest.sources!.every((a) => a.messages.length === 0)).toBe(true);
    expect(encoded.sourceMessages!.bytes.buffer.byteLength).toBe(12);
    const decoded = decodeBatch(structuredClone(encoded, { transfer }));
    expect(defined(decoded.sources)).toEqual(defined(sources));
    expect(decoded.sources![2]!.messages[0]!.caller).toEqual(address("c"));
    expect(decoded.sources![0]!.messages[0]!.caller).toBeUndefined();
  });

  it("sends source advances as they are when one of their messages is delayed or cancellable", () => {
    const delayed = { seq: 30, keyGroup: 1, target: address("a"), argument: { typename: "t/int", value: bytes(1) }, dueAt: 5 };
    const sources = [{ source: "s", partition: "p", from: null, to: 1, messages: [delayed], deadLetters: [] }];
    const { encoded, transfer } = encodeBatch({ ...batch, sources });
    expect(encoded.sourceMessages).toBeUndefined();
    expect(defined(decodeBatch(structuredClone(encoded, { transfer })).sources)).toEqual(defined(sources));
  });

  it("writes a string the same as in the row before once, and decodes each row's own strings (repeats, changes, absences)", () => {
    const rows = ["a", "a", "b", "b", "a"].map((id, i) => ({
      seq: 10 + i,
      keyGroup: 1,
      target: address(id),
      ...(i === 3 ? {} : { caller: { namespace: "in", type: i === 2 ? "other" : "caller", id: "c" } }),
      argument: { typename: "t/int", value: bytes(i) },
    }));
    const many = { ...batch, messages: rows, state: [], egress: [], replies: [] };
    const { encoded, transfer } = encodeBatch(many);
    expect(encoded.strings.split("t/int").length - 1).toBe(1);
    const decoded = decodeBatch(structuredClone(encoded, { transfer }));
    expect(defined(decoded.messages)).toEqual(defined(rows));
  });

  it("carries the fence's epochs of the touched key groups only, and a touched key group the fence does not hold stays unheld", () => {
    const held = new Map(Array.from({ length: 128 }, (_, kg) => [kg, kg + 1] as [number, number]));
    held.delete(9);
    const wide = { ...batch, fence: { owner: "w", epochs: held }, touchedKeyGroups: new Set([3, 9, 100]) };
    const { encoded, transfer } = encodeBatch(wide);
    const decoded = decodeBatch(structuredClone(encoded, { transfer }));
    expect(decoded.fence.owner).toBe("w");
    expect([...decoded.fence.epochs]).toEqual([
      [3, 4],
      [100, 101],
    ]);
    expect([...decoded.touchedKeyGroups]).toEqual([3, 9, 100]);
  });

  it("moves its arrays rather than copying them, and leaves the batch's own values alone", () => {
    const { encoded, transfer } = encodeBatch(batch);
    expect(transfer).toEqual([encoded.numbers.buffer, encoded.bytes.buffer]);
    structuredClone(encoded, { transfer });
    expect(encoded.numbers.byteLength).toBe(0);
    expect([...batch.state[0]!.value!.value]).toEqual([9, 8]);
  });

  it("commits from its compact form the same rows as from the batch itself (more than a chunk of each kind)", async () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => i);
    const big = (epochs: Map<number, number>): CommitBatch => ({
      ...batch,
      fence: { owner: "w", epochs },
      touchedKeyGroups: new Set([0, 1, 3]),
      messages: [
        ...batch.messages,
        ...many(40).map((i) => ({
          seq: 100 + i,
          keyGroup: i % 2,
          target: address(`m${i % 7}`),
          ...(i % 3 === 0 ? {} : { caller: address(`c${i}`) }),
          argument: { typename: i % 5 === 0 ? "t/other" : "t/int", value: bytes(i, i + 1) },
        })),
      ],
      state: [
        ...batch.state,
        ...many(40).map((i) => ({
          address: address(`s${i % 20}`),
          keyGroup: 3,
          name: i % 4 === 0 ? "n" : `n${i % 3}`,
          value: i % 9 === 8 ? null : { typename: "t/int", value: bytes(i) },
          ...(i % 2 === 0 ? { expiresAt: 2_000_000_000_000 + i } : {}),
        })),
      ],
      egress: [
        ...batch.egress,
        ...many(40).map((i) => ({
          egress: i % 6 === 0 ? "io/other" : "io/out",
          topic: i % 10 === 0 ? "t" : "",
          argument: { typename: "t/rec", value: bytes(i, 0, i) },
          createdAt: 1_000 + i,
        })),
      ],
    });
    const committedBy = async (encoded: boolean) => {
      const dir = mkdtempSync(join(tmpdir(), "statefun-codec-"));
      const store = new SqliteStore({ dir, keyGroups: 4 });
      try {
        await store.open();
        const b = big(await store.acquire("w", [0, 1, 2, 3]));
        let result: CommitResult;
        if (encoded) {
          const { encoded: form, transfer } = encodeBatch(b);
          result = await store.commitEncoded(structuredClone(form, { transfer }));
        } else result = await store.commit(b);
        const ids = [...many(20).map((i) => `s${i}`), "a", "b"];
        return {
          egressSeq: result.egressSeq,
          egress: await store.orderedEgress(0, 1_000),
          topic: await store.peekEgress("t", 100),
          messages: await store.loadMessages([0, 1, 2, 3], 0, 1_000),
          timers: await store.loadTimers([0, 1, 2, 3], undefined, Number.MAX_SAFE_INTEGER, 1_000),
          state: await Promise.all(ids.map((id) => store.loadState(address(id)))),
        };
      } finally {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    };
    const direct = await committedBy(false);
    expect(direct.messages.length).toBeGreaterThan(40);
    expect(direct.state.flat().length).toBeGreaterThan(20);
    expect(direct.egress.length).toBeGreaterThan(35);
    expect(direct.egressSeq).toBe(1);
    expect(defined(await committedBy(true))).toEqual(defined(direct));
  });

  it("commits several encoded batches in one transaction, in order, each with its result; a failing one rolls them all back", async () => {
    const dir = mkdtempSync(join(tmpdir(), "statefun-codec-"));
    const store = new SqliteStore({ dir, keyGroups: 4 });
    try {
      await store.open();
      const epochs = await store.acquire("w", [0, 1, 2, 3]);
      const one = (fenceEpochs: Map<number, number>, seq: number, consumed: number[]) => {
        const b: CommitBatch = {
          ...batch,
          ingress: [],
          cancelTokens: [],
          replies: [],
          replayed: [],
          state: [],
          fence: { owner: "w", epochs: fenceEpochs },
          touchedKeyGroups: new Set([1]),
          consumed,
          messages: [{ seq, keyGroup: 1, target: address(`m${seq}`), argument: { typename: "t/int", value: bytes(seq) } }],
        };
        const { encoded, transfer } = encodeBatch(b);
        return structuredClone(encoded, { transfer });
      };
      const seqs = async () => (await store.loadMessages([0, 1, 2, 3], 0, 100)).map((m) => m.seq);
      const results = store.commitEncodedTogether([one(epochs, 1, []), one(epochs, 2, [1]), one(epochs, 3, [])]);
      expect(results).toHaveLength(3);
      // The second consumed the first's message: applied in order, in one transaction.
      expect(await seqs()).toEqual([2, 3]);
      const stale = new Map([...epochs].map(([kg, epoch]) => [kg, epoch + 1]));
      expect(() => store.commitEncodedTogether([one(epochs, 4, [2]), one(stale, 5, [])])).toThrow(/fenced/);
      expect(await seqs()).toEqual([2, 3]);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("leaves out an ingress message without a key that the batch consumes, and its consumed seq: the store would neither insert nor delete it", async () => {
    const passing: CommitBatch = {
      ...batch,
      ingress: [
        { seq: 1, keyGroup: 3, target: address("a"), argument: { typename: "t/int", value: bytes(1) }, requestId: "r1" },
        {
          seq: 6,
          keyGroup: 3,
          target: address("a"),
          argument: { typename: "t/int", value: bytes(2) },
          requestId: "r2",
          idempotencyKey: "k",
        },
        { seq: 7, keyGroup: 3, target: address("a"), argument: { typename: "t/int", value: bytes(3) }, requestId: "r3" },
      ],
      consumed: [1, 6],
      messages: [],
      cancelTokens: [],
      replayed: [],
      replies: [
        { requestId: "r1", argument: { typename: "t/int", value: bytes(9) } },
        { requestId: "r2", argument: { typename: "t/int", value: bytes(8) } },
      ],
    };
    const { encoded, transfer } = encodeBatch(passing);
    expect(encoded.rest.ingress.map((m) => m.seq)).toEqual([6, 7]);
    expect([encoded.seqLow, encoded.seqHigh]).toEqual([1, 7]);
    const decoded = decodeBatch(structuredClone(encoded, { transfer }));
    expect(decoded.consumed).toEqual([6]);
    const committedBy = async (encodedForm: boolean) => {
      const dir = mkdtempSync(join(tmpdir(), "statefun-codec-"));
      const store = new SqliteStore({ dir, keyGroups: 4 });
      try {
        await store.open();
        const b = { ...passing, fence: { owner: "w", epochs: await store.acquire("w", [0, 1, 2, 3]) } };
        if (encodedForm) {
          const { encoded: form, transfer: moved } = encodeBatch(b);
          await store.commitEncoded(structuredClone(form, { transfer: moved }));
        } else await store.commit(b);
        return {
          messages: await store.loadMessages([0, 1, 2, 3], 0, 100),
          replies: await Promise.all(["r1", "r2", "r3"].map((id) => store.getReply(id))),
        };
      } finally {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    };
    const direct = await committedBy(false);
    expect(direct.messages.map((m) => m.seq)).toEqual([7]);
    expect(direct.replies.filter((r) => r !== undefined)).toHaveLength(2);
    expect(defined(await committedBy(true))).toEqual(defined(direct));
  });

  it("carries ingress messages (keys, fingerprints) and replies without the buffers their values are views of", () => {
    // A request body of a few bytes in an 8 KiB slab, as Buffer.concat and Buffer.from hand them out.
    const slab = new Uint8Array(8192);
    slab.set([8, 1], 100);
    const body = slab.subarray(100, 102);
    const keyed = {
      ...batch,
      ingress: [
        { seq: 1, keyGroup: 3, target: address("a"), argument: { typename: "t/int", value: body }, requestId: "r1" },
        {
          seq: 4,
          keyGroup: 2,
          target: address("b"),
          caller: { namespace: "statefun.ingress", type: "http", id: "r2" },
          argument: { typename: "t/int", value: body },
          requestId: "r2",
          idempotencyKey: "k",
          fingerprint: "f",
        },
      ],
      replies: [
        { requestId: "r1", argument: { typename: "t/int", value: body } },
        { requestId: "r2", argument: { typename: "t/str", value: bytes() } },
      ],
    };
    const { encoded, transfer } = encodeBatch(keyed);
    const decoded = decodeBatch(structuredClone(encoded, { transfer }));
    expect(defined(decoded.ingress)).toEqual(defined(keyed.ingress));
    expect(defined(decoded.replies)).toEqual(defined(keyed.replies));
    expect(decoded.ingress[1]!.idempotencyKey).toBe("k");
    expect(decoded.ingress[0]!.idempotencyKey).toBeUndefined();
    for (const v of [...decoded.ingress.map((m) => m.argument.value), ...decoded.replies.map((r) => r.argument.value)]) {
      expect(v.buffer.byteLength).toBeLessThan(64);
    }
  });
});
