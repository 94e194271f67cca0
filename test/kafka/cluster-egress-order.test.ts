/**
 * Exactly-once Kafka egress in cluster mode: two workers (each a PostgresStore of its own) commit
 * egress records to one outbox, and one worker's commit takes its row id first but becomes
 * visible last (held open inside the commit by a trigger that waits on an advisory lock the test
 * holds). The egress delivers the other worker's record meanwhile. With the delivery order of the
 * store (`orderedEgress`: numbered when visible), the late record still goes out, exactly once.
 * The control runs the same interleaving with the order of row ids, which the egress used before:
 * its position passes the late record's id, so the late record is taken as delivered and lost.
 */

import { KafkaEgress, kafkajsClient, type OrderedRow, type Outbox } from "@statefun-ts/kafka";
import { encodeKafkaProducerRecord } from "@statefun-ts/protocol";
import { silentLogger } from "@statefun-ts/runtime";
import type { Fence } from "@statefun-ts/runtime/spi";
import type { PostgresStore } from "@statefun-ts/store-postgres";
import type pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { batch } from "../store/helpers.js";
import { holdLateCommits, type TwoWorkers, twoWorkers, untilLateCommitWaits } from "../store/late-commit.js";
import { consumeAll, createTopic, testBrokers, unique } from "./kafka.js";

const LOCK = 4_242;
const EGRESS = "test/out";
let two: TwoWorkers;
let workers: PostgresStore[];
let fences: Fence[];
let raw: pg.Client;
let egress: KafkaEgress | undefined;

beforeEach(async () => {
  two = await twoWorkers({ prefix: "kafka_order", maxConnections: 3 });
  ({ workers, fences, raw } = two);
  await holdLateCommits(raw, LOCK);
});

afterEach(async () => {
  await egress?.stop();
  egress = undefined;
  await two.close();
});

/** The outbox of `store` as the server gives it to a Kafka egress (connectors.ts). */
function storeOutbox(store: PostgresStore, identity: number): Outbox {
  return {
    ordered: (after, limit, floor) => store.orderedEgress(after, limit, floor),
    delete: (rows) => store.deleteEgress(rows.map((r) => r.id)),
    identity: async () => identity,
    order: () => store.egressOrder(),
  };
}

/** The control: the outbox in row id order, as the egress read it before (`peekEgress`). */
function idOrderOutbox(store: PostgresStore, identity: number): Outbox {
  return {
    ordered: async (after, limit) =>
      (await store.peekEgress("", 100_000))
        .filter((r) => r.id > after)
        .slice(0, limit)
        .map((r): OrderedRow => ({ ...r, seq: r.id })),
    delete: (rows) => store.deleteEgress(rows.map((r) => r.id)),
    identity: async () => identity,
    order: async () => "id",
  };
}

function record(topic: string, value: string) {
  return {
    egress: EGRESS,
    topic: "",
    argument: encodeKafkaProducerRecord({ topic, key: value, value: new TextEncoder().encode(value) }),
    createdAt: 1,
  };
}

/** The interleaving: worker 0's commit takes its id, worker 1 commits after it and is delivered, then worker 0's commit ends. */
async function interleave(outboxOf: (store: PostgresStore, identity: number) => Outbox): Promise<string[]> {
  const topic = unique("out");
  await createTopic(topic, 1);
  const identity = Math.floor(Math.random() * 2 ** 48);
  const start = () => {
    egress = new KafkaEgress({
      spec: {
        id: EGRESS,
        address: testBrokers(),
        deliverySemantic: { type: "exactly-once", transactionTimeoutMs: 60_000 },
        properties: new Map(),
      },
      client: kafkajsClient({ brokers: [testBrokers()], clientId: "order-test" }),
      outbox: outboxOf(workers[1]!, identity),
      logger: silentLogger,
    });
    egress.start();
  };
  start();
  await raw.query("SELECT pg_advisory_lock($1)", [LOCK]);
  const late = workers[0]!.commit(batch(fences[0]!, { egress: [record(topic, "late")] }));
  // Deterministic: worker 0's commit is inside the trigger (its row has its id) once it waits for the lock.
  await untilLateCommitWaits(raw);
  await workers[1]!.commit(batch(fences[1]!, { egress: [record(topic, "early")] }));
  const first = await consumeAll(topic, { until: (r) => r.length >= 1, timeoutMs: 30_000 });
  expect(first).toEqual(["early=early"]);
  // The delivered row is deleted after its transaction: from then on the egress's position is past "early".
  for (;;) {
    const { rows } = await raw.query("SELECT count(*)::int AS n FROM egress WHERE position('early'::bytea IN value) > 0");
    if (rows[0].n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await raw.query("SELECT pg_advisory_unlock($1)", [LOCK]);
  await late;
  // The delivering worker restarts (its position is read back from Kafka). Either way the late
  // row then leaves the outbox: sent, or taken as delivered (below the position) and dropped.
  await egress!.stop();
  start();
  for (;;) {
    const { rows } = await raw.query("SELECT count(*)::int AS n FROM egress");
    if (rows[0].n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return consumeAll(topic, { until: (r) => r.length >= 2, timeoutMs: 5_000 });
}

describe("Kafka exactly-once egress on two PostgreSQL workers", () => {
  it("delivers a record whose commit took its id before another worker's commit but became visible after it, exactly once", async () => {
    const seen = await interleave(storeOutbox);
    expect(seen.sort()).toEqual(["early=early", "late=late"]);
  }, 90_000);

  it("control: in row id order the same interleaving loses the late record (what the egress did before)", async () => {
    const seen = await interleave(idOrderOutbox);
    expect(seen).toEqual(["early=early"]);
  }, 90_000);
});
