// The delivery order of the PostgreSQL outbox (`orderedEgress`) with two workers on one schema: a
// commit that took its row id before another worker's commit but became visible after it is
// numbered after it, and numbering never goes below the floor a deliverer passes.
import type { Fence } from "@statefun-ts/runtime/spi";
import type { PostgresStore } from "@statefun-ts/store-postgres";
import type pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { batch, range, text } from "./helpers.js";
import { holdLateCommits, type TwoWorkers, twoWorkers, untilLateCommitWaits } from "./late-commit.js";

const LOCK = 4_243;
let two: TwoWorkers;
let workers: PostgresStore[];
let fences: Fence[];
let raw: pg.Client;

beforeEach(async () => {
  two = await twoWorkers({ prefix: "egress_order", maxConnections: 2 });
  ({ workers, fences, raw } = two);
});

afterEach(() => two.close());

const record = (value: string) => ({ egress: "k", topic: "", argument: text(value), createdAt: 1 });
const values = (rows: readonly { argument: { value: Uint8Array } }[]) => rows.map((r) => new TextDecoder().decode(r.argument.value));

describe("PostgreSQL egress delivery order", () => {
  it("numbers a row whose commit took the smaller id but ended later after the rows read before it", async () => {
    // A commit of a value holding "late" waits inside its transaction, its id taken, until the lock is free.
    await holdLateCommits(raw, LOCK);
    await raw.query("SELECT pg_advisory_lock($1)", [LOCK]);
    const late = workers[0]!.commit(batch(fences[0]!, { egress: [record("late")] }));
    await untilLateCommitWaits(raw);
    await workers[1]!.commit(batch(fences[1]!, { egress: [record("early")] }));
    const first = await workers[1]!.orderedEgress(0, 10);
    expect(values(first)).toEqual(["early"]);
    await raw.query("SELECT pg_advisory_unlock($1)", [LOCK]);
    await late;
    const next = await workers[0]!.orderedEgress(first[0]!.seq, 10);
    expect(values(next)).toEqual(["late"]);
    // The row ids are the other way round: a position in ids would have passed "late".
    expect(next[0]!.id).toBeLessThan(first[0]!.id);
    expect(next[0]!.seq).toBeGreaterThan(first[0]!.seq);
  });

  it("numbers above the floor it is given (a position kept from before a move), and names its numbering", async () => {
    await workers[0]!.commit(batch(fences[0]!, { egress: [record("a"), record("b")] }));
    const rows = await workers[1]!.orderedEgress(0, 10, 1_000);
    expect(values(rows)).toEqual(["a", "b"]);
    expect(rows[0]!.seq).toBeGreaterThan(1_000);
    expect(await workers[0]!.egressOrder()).not.toBe("id");
  });

  it("numbers each row once when workers read at the same time", async () => {
    for (const n of range(20)) await workers[n % 2]!.commit(batch(fences[n % 2]!, { egress: [record(`r${n}`)] }));
    const reads = await Promise.all(range(6).map((i) => workers[i % 2]!.orderedEgress(0, 100)));
    const seqs = reads[0]!.map((r) => r.seq);
    expect(new Set(seqs).size).toBe(20);
    for (const read of reads) expect(read.map((r) => r.seq)).toEqual(seqs);
  });
});
