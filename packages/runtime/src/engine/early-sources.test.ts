import { StringCodec } from "@statefun-ts/protocol";
import { statefunModule, Types } from "@statefun-ts/sdk";
import { until } from "@statefun-ts/test-kit";
import { afterEach, describe, expect, it } from "vitest";
import { Runtime } from "../runtime.js";
import type { SourcePart } from "../sources.js";
import { MemoryStore } from "../store/memory-store.js";
import type { CommitBatch, CommitResult } from "../store/types.js";
import { type CommitUnit, unit } from "./commit-unit.js";
import { EarlySources } from "./early-sources.js";
import { echo } from "./fixtures/echo.js";

/** EarlySources over a commit pipeline the test drives: units are kept; `commit` settles the oldest. */
function harness(handOver: (part: SourcePart) => boolean = () => true) {
  const queued: CommitUnit[] = [];
  const handed: number[] = [];
  const broken: Error[] = [];
  const early = new EarlySources({
    enqueue: (u) => queued.push(u),
    handOver: (part) => {
      // Marked before the hand-over: a batch may form with it while its invocations run.
      expect(queued.at(-1)?.delivered).toBe(true);
      const taken = handOver(part);
      if (taken) handed.push(part.to);
      return taken;
    },
    broken: (error) => broken.push(error),
  });
  const advance = (from: number | null, to: number, messages = 1) =>
    early.enqueue({
      ...unit({}),
      source: {
        source: "kafka:in",
        partition: "t/0",
        from,
        to,
        messages: Array.from({ length: messages }, () => ({
          seq: 0,
          keyGroup: 0,
          target: { namespace: "test", type: "f", id: "a" },
          argument: { typename: "test/v", value: new Uint8Array() },
        })),
        deadLetters: [],
      },
    });
  const commit = (rejected = false) => {
    const u = queued.shift()!;
    if (rejected) u.source?.rejected?.();
    u.committed?.([], undefined, 0);
  };
  return { early, queued, handed, broken, advance, commit };
}

describe("EarlySources", () => {
  it("hands an advance over before its commit only from the position every advance before it ends at", async () => {
    const h = harness();
    // Nothing known yet: the first advance commits first.
    h.advance(null, 0, 0);
    h.advance(0, 2);
    expect(h.handed).toEqual([]);
    h.commit();
    h.commit();
    // Known now (the last advance of the partition committed): the next ones go at once, each from the last one's end.
    h.advance(2, 4);
    h.advance(4, 6);
    expect(h.handed).toEqual([4, 6]);
    expect(h.queued.map((u) => u.delivered)).toEqual([true, true]);
    // One from elsewhere is not known to apply.
    h.advance(9, 10);
    expect(h.handed).toEqual([4, 6]);
  });

  it("learns the positions from a read while no advance is in flight", async () => {
    const h = harness();
    await h.early.positions("kafka:in", async () => new Map([["t/0", 7]]));
    h.advance(7, 8);
    expect(h.handed).toEqual([8]);
    // A read while one is in flight teaches nothing (the store may be behind it).
    const h2 = harness();
    h2.advance(null, 3, 0);
    await h2.early.positions("kafka:in", async () => new Map([["t/0", 0]]));
    h2.advance(0, 1);
    expect(h2.handed).toEqual([]);
  });

  it("keeps a partition's order: after an advance that waits for its commit, none goes early until it committed", async () => {
    let refuse = true;
    const h = harness(() => !refuse);
    await h.early.positions("kafka:in", async () => new Map([["t/0", 0]]));
    h.advance(0, 1);
    refuse = false;
    h.advance(1, 2);
    expect(h.handed).toEqual([]);
    h.commit();
    h.commit();
    h.advance(2, 3);
    expect(h.handed).toEqual([3]);
  });

  it("forgets the position after a rejected advance, and breaks the engine if one handed over early is rejected", async () => {
    const h = harness();
    h.advance(null, 5, 0);
    h.commit(true);
    h.advance(5, 6);
    expect(h.handed).toEqual([]);
    h.commit();
    h.advance(6, 7);
    expect(h.handed).toEqual([7]);
    h.commit(true);
    expect(h.broken).toHaveLength(1);
    h.advance(7, 8);
    expect(h.handed).toEqual([7]);
  });
});

/** A memory store that keeps the batches it commits. */
class PlainStore extends MemoryStore {
  readonly batches: CommitBatch[] = [];
  override async commit(batch: CommitBatch): Promise<CommitResult> {
    this.batches.push(batch);
    return super.commit(batch);
  }
}

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

describe("a source advance from the position known to hold (single owner)", () => {
  it("commits its messages' invocations with it: no message inserted, none deleted", async () => {
    const store = new PlainStore(4);
    runtime = new Runtime({ store, modules: [statefunModule({ functions: [echo] })] });
    await runtime.start();
    const sink = runtime.sources();
    expect(await sink.positions("kafka:orders")).toEqual(new Map());
    const advance = (from: number | null, to: number, ids: string[]) =>
      sink.advance({
        source: "kafka:orders",
        partition: "orders/0",
        from,
        to,
        messages: ids.map((id) => ({ target: echo.at(id), argument: { typename: Types.string.typename, value: StringCodec.encode(id) } })),
        deadLetters: [],
      });
    expect(await advance(null, 0, [])).toBe("committed");
    const before = store.batches.length;
    expect(await advance(0, 3, ["a", "b", "c"])).toBe("committed");
    const [batch] = store.batches.slice(before);
    expect(batch!.sources).toEqual([expect.objectContaining({ from: 0, to: 3, messages: [] })]);
    expect(batch!.consumed).toEqual([]);
    expect(batch!.state.map((w) => w.address.id).sort()).toEqual(["a", "b", "c"]);
    const rt = runtime;
    await until(async () => (await rt.readState(echo.at("c")))[0] !== undefined, "the state of c");
    expect((await store.stats()).messages).toBe(0);
    expect(await sink.positions("kafka:orders")).toEqual(new Map([["orders/0", 3]]));
  });
});
