import { encodeKafkaProducerRecord } from "@statefun-ts/protocol";
import { silentLogger } from "@statefun-ts/runtime";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { KafkaAdmin, KafkaClient, KafkaProducer, KafkaTransaction, ProducedRecord } from "./client.js";
import { type DelivererTurn, KafkaEgress, type OrderedRow, type Outbox } from "./egress.js";

/** A client whose producers record what they did: connected, disconnected, records committed. */
class FakeClient implements KafkaClient {
  producers = 0;
  connected = 0;
  committed: string[] = [];
  /** Records per produce request, in the order sent. */
  requests: number[] = [];
  /** Transactions committed. */
  transactions = 0;
  /** Keys of the records committed (null: none). */
  keys: (string | null)[] = [];
  /** How many sends fail still (a topic that does not exist yet), and how many did. */
  failSends = 0;
  failed = 0;
  /** How many positions (`sendOffset`) fail still, and the transactions aborted. */
  failOffsets = 0;
  aborted = 0;
  /** Called as each transaction commits (its number, from 1), before its records count as committed. */
  onCommit: ((transaction: number) => void) | undefined;
  /** The records of each committed transaction. */
  rounds: string[][] = [];
  consumer(): never {
    throw new Error("no consumer in this test");
  }
  producer(): KafkaProducer {
    this.producers++;
    const client = this;
    return {
      async connect() {
        client.connected++;
      },
      async send() {},
      async transaction(): Promise<KafkaTransaction> {
        const sent: ProducedRecord[] = [];
        return {
          async send(records) {
            if (client.failSends > 0) {
              client.failSends--;
              client.failed++;
              throw new Error("This server does not host this topic-partition");
            }
            client.requests.push(records.length);
            sent.push(...records);
          },
          async sendOffset() {
            // After the records' first request went out beside it (the egress sends both at once).
            await new Promise((resolve) => setTimeout(resolve, 1));
            if (client.failOffsets > 0) {
              client.failOffsets--;
              throw new Error("The coordinator is loading and hence can't process requests");
            }
          },
          async commit() {
            client.onCommit?.(client.transactions + 1);
            client.rounds.push(sent.map((r) => new TextDecoder().decode(r.value)));
            client.transactions++;
            client.committed.push(...sent.map((r) => new TextDecoder().decode(r.value)));
            client.keys.push(...sent.map((r) => (r.key === null ? null : new TextDecoder().decode(r.key))));
          },
          async abort() {
            client.aborted++;
          },
        };
      },
      async disconnect() {
        client.connected--;
      },
    };
  }
  async admin(): Promise<KafkaAdmin> {
    return {
      async createTopics() {},
      async offsets() {
        return [];
      },
      async offsetsAt() {
        return new Map();
      },
      async listTopics() {
        return [];
      },
      async groupOffsets() {
        return new Map();
      },
      async close() {},
    };
  }
}

/** An outbox in memory, in id order. */
class FakeOutbox implements Outbox {
  readonly rows = new Map<number, OrderedRow>();
  private next = 1;
  /** The `seq` the next row added gets. */
  nextSeq(): number {
    return this.next;
  }
  add(value: string, key = "k"): void {
    const id = this.next++;
    const argument = encodeKafkaProducerRecord({ topic: "out", key, value: new TextEncoder().encode(value) });
    this.rows.set(id, { id, seq: id, egress: "test/out", topic: "", argument, createdAt: 0 });
  }
  /** The largest `seq` a read returned. */
  seen = 0;
  /** Called as each read begins, with the position it reads after. */
  onRead: ((after: number) => void) | undefined;
  async ordered(after: number, limit: number): Promise<OrderedRow[]> {
    this.onRead?.(after);
    const rows = [...this.rows.values()].filter((r) => r.seq > after).slice(0, limit);
    this.seen = Math.max(this.seen, rows.at(-1)?.seq ?? 0);
    return rows;
  }
  async delete(rows: readonly OrderedRow[]): Promise<void> {
    for (const { id } of rows) this.rows.delete(id);
  }
  async identity(): Promise<number> {
    return 7;
  }
  async order(): Promise<string> {
    return "id";
  }
}

/** An outbox whose worker's commits are announced (`Outbox.committed`), as the SQLite store does. */
class AnnouncingOutbox extends FakeOutbox {
  /** Rows the outbox's reads returned. */
  rowsRead = 0;
  /** Reads of the outbox. */
  reads = 0;
  private listener: ((rows: readonly Omit<OrderedRow, "id" | "seq">[], seq: number) => void) | undefined;
  committed(listener: (rows: readonly Omit<OrderedRow, "id" | "seq">[], seq: number) => void): () => void {
    this.listener = listener;
    return () => {
      this.listener = undefined;
    };
  }
  /** A commit of this worker: its rows added, then announced. */
  commit(values: readonly string[]): void {
    const seq = this.nextSeq();
    for (const v of values) this.add(v);
    this.listener?.(
      values.map((_, i) => this.rows.get(seq + i)!),
      seq,
    );
  }
  override async ordered(after: number, limit: number): Promise<OrderedRow[]> {
    const rows = await super.ordered(after, limit);
    this.reads++;
    this.rowsRead += rows.length;
    return rows;
  }
}

/** A turn the test gives and takes back. */
class Turn implements DelivererTurn {
  mine = false;
  claims = 0;
  released = 0;
  async claim(): Promise<boolean> {
    this.claims++;
    return this.mine;
  }
  async release(): Promise<void> {
    this.released++;
  }
}

let egress: KafkaEgress | undefined;
afterEach(async () => {
  await egress?.stop();
  egress = undefined;
});

function start(turn: Turn | undefined, logger = silentLogger, properties = new Map<string, string>(), outbox = new FakeOutbox()) {
  const client = new FakeClient();
  egress = new KafkaEgress({
    spec: {
      id: "test/out",
      address: "127.0.0.1:9",
      deliverySemantic: { type: "exactly-once", transactionTimeoutMs: 60_000 },
      properties,
    },
    client,
    outbox,
    logger,
    turn,
    turnEveryMs: 10,
    retryMs: 2,
  });
  egress.start();
  return { client, outbox, egress };
}

describe("KafkaEgress with a deliverer turn (cluster mode)", () => {
  it("stands by without a producer while another worker delivers, ready all the same", async () => {
    const turn = new Turn();
    const { client, outbox, egress } = start(turn);
    outbox.add("a");
    await vi.waitFor(() => expect(turn.claims).toBeGreaterThanOrEqual(2), { timeout: 5_000 });
    expect(client.producers).toBe(0);
    expect(client.committed).toEqual([]);
    expect(outbox.rows.size).toBe(1);
    expect(egress.status()).toMatchObject({ delivering: false, problem: undefined });
  });

  it("delivers once it gets the turn, disconnects its producer when the turn passes, and releases the turn when stopped", async () => {
    const turn = new Turn();
    turn.mine = true;
    const { client, outbox, egress } = start(turn);
    outbox.add("a");
    await vi.waitFor(() => expect(client.committed).toEqual(["a"]), { timeout: 5_000 });
    expect(egress.status().delivering).toBe(true);
    expect(client.connected).toBe(1);

    turn.mine = false;
    await vi.waitFor(() => expect(client.connected).toBe(0), { timeout: 5_000 });
    expect(egress.status().delivering).toBe(false);
    outbox.add("b");
    const claims = turn.claims;
    await vi.waitFor(() => expect(turn.claims).toBeGreaterThan(claims + 1), { timeout: 5_000 });
    expect(client.committed).toEqual(["a"]);

    turn.mine = true;
    await vi.waitFor(() => expect(client.committed).toEqual(["a", "b"]), { timeout: 5_000 });
    await egress.stop();
    expect(turn.released).toBe(1);
  });

  it("always delivers without a turn (a single worker)", async () => {
    const { client, outbox, egress } = start(undefined);
    outbox.add("a");
    await vi.waitFor(() => expect(client.committed).toEqual(["a"]), { timeout: 5_000 });
    expect(egress.status().delivering).toBe(true);
  });
});

describe("KafkaEgress rounds", () => {
  it("sends a round of many records in one transaction, in one produce request, keys and values as written", async () => {
    const { client, outbox } = start(undefined);
    // Added before the first read: one round.
    for (let i = 0; i < 4_500; i++) outbox.add(String(i), i % 2 === 0 ? "" : `k${i}`);
    await vi.waitFor(() => expect(client.committed).toHaveLength(4_500), { timeout: 5_000 });
    expect(client.transactions).toBe(1);
    expect(client.requests).toEqual([4_500]);
    expect(client.committed.slice(0, 3)).toEqual(["0", "1", "2"]);
    expect(client.keys.slice(0, 3)).toEqual([null, "k1", null]);
    await vi.waitFor(() => expect(outbox.rows.size).toBe(0), { timeout: 5_000 });
  });

  it("splits a round into produce requests of at most 900 kB of keys and values", async () => {
    const { client, outbox } = start(undefined);
    const value = "v".repeat(100_000);
    for (let i = 0; i < 20; i++) outbox.add(value, `k${i}`);
    await vi.waitFor(() => expect(client.committed).toHaveLength(20), { timeout: 5_000 });
    expect(client.transactions).toBe(1);
    // 100,002 or 100,003 bytes a record: 8 fit in 900,000.
    expect(client.requests).toEqual([8, 8, 4]);
  });

  it("aborts a round whose position fails to go out beside its records, and sends it again: each record committed once", async () => {
    const { client, outbox } = start(undefined);
    client.failOffsets = 2;
    for (const v of ["a", "b", "c"]) outbox.add(v);
    await vi.waitFor(() => expect(client.committed).toEqual(["a", "b", "c"]), { timeout: 5_000 });
    expect(client.aborted).toBe(2);
    expect(client.transactions).toBe(1);
  });

  it("logs a failure repeated at every retry once, and once that it delivers again", async () => {
    const logged: string[] = [];
    const logger = {
      ...silentLogger,
      info: (_: object, message?: string) => logged.push(`info ${message}`),
      warn: (_: object, message?: string) => logged.push(`warn ${message}`),
    };
    const { client, outbox } = start(undefined, logger);
    client.failSends = 20;
    outbox.add("a");
    await vi.waitFor(() => expect(client.committed).toEqual(["a"]), { timeout: 5_000 });
    expect(client.failed).toBe(20);
    expect(logged).toEqual(["warn Kafka egress: delivery failed, retrying", "info Kafka egress: delivering again"]);
  });

  it("takes the rows committed while the last round went out into the next round, not the one after", async () => {
    const { client, outbox } = start(undefined, silentLogger, new Map([["linger.ms", "0"]]));
    // "b" is committed as soon as "a" was read (the read of the next round, under way while "a" goes
    // out, may see it), "c" while the transaction of "a" commits.
    let added = false;
    outbox.onRead = (after) => {
      if (after === 1 && !added) {
        added = true;
        outbox.add("b");
      }
    };
    client.onCommit = (n) => {
      if (n === 1) outbox.add("c");
    };
    outbox.add("a");
    await vi.waitFor(() => expect(client.committed).toEqual(["a", "b", "c"]), { timeout: 5_000 });
    expect(client.rounds.at(-1)).toContain("c");
    expect(client.rounds).toHaveLength(2);
  });

  it("waits linger.ms after a round began before it sends a round short of a full one, and sends what came meanwhile with it", async () => {
    const { client, outbox } = start(undefined, silentLogger, new Map([["linger.ms", "1000"]]));
    outbox.add("a");
    await vi.waitFor(() => expect(client.committed).toEqual(["a"]), { timeout: 5_000 });
    outbox.add("b");
    // "b" is read, and held for the linger: "c", added then, goes out in the same transaction.
    await vi.waitFor(() => expect(outbox.seen).toBe(2), { timeout: 5_000 });
    outbox.add("c");
    await vi.waitFor(() => expect(client.committed).toEqual(["a", "b", "c"]), { timeout: 5_000 });
    expect(client.transactions).toBe(2);
  });
});

describe("KafkaEgress with the rows its worker's commits announce", () => {
  it("delivers them without reading them back, and reads again when a row it was not told of comes between", async () => {
    const announcing = new AnnouncingOutbox();
    const { client, outbox } = start(undefined, silentLogger, new Map([["linger.ms", "0"]]), announcing);
    // The first read finds the outbox empty: from then on, the announced commits are all there is.
    await vi.waitFor(() => expect(announcing.reads).toBeGreaterThan(0), { timeout: 5_000 });
    announcing.commit(["a", "b"]);
    announcing.commit(["c"]);
    await vi.waitFor(() => expect(client.committed).toEqual(["a", "b", "c"]), { timeout: 5_000 });
    expect(announcing.rowsRead).toBe(0);
    await vi.waitFor(() => expect(outbox.rows.size).toBe(0), { timeout: 5_000 });

    // "d" was written by another worker (no announcement): "e" does not follow what was read, so the outbox is read.
    outbox.add("d");
    announcing.commit(["e"]);
    await vi.waitFor(() => expect(client.committed).toEqual(["a", "b", "c", "d", "e"]), { timeout: 5_000 });
    expect(announcing.rowsRead).toBe(2);
    await vi.waitFor(() => expect(outbox.rows.size).toBe(0), { timeout: 5_000 });
  });

  it("does not read back rows while a commit is under way for a while (half a second) before it is announced", async () => {
    // Only performance.now() is faked: the egress's quiet time is measured on it, and the test moves it.
    vi.useFakeTimers({ toFake: ["performance"] });
    try {
      const turn = new Turn();
      turn.mine = true;
      const announcing = new AnnouncingOutbox();
      const { client } = start(turn, silentLogger, new Map([["linger.ms", "0"]]), announcing);
      await vi.waitFor(() => expect(announcing.reads).toBeGreaterThan(0), { timeout: 5_000 });
      const reads = announcing.reads;
      vi.advanceTimersByTime(500);
      // The egress goes round its loop (it claims its turn each time) with nothing announced.
      const claims = turn.claims;
      await vi.waitFor(() => expect(turn.claims).toBeGreaterThan(claims + 2), { timeout: 5_000 });
      announcing.commit(["a"]);
      await vi.waitFor(() => expect(client.committed).toEqual(["a"]), { timeout: 5_000 });
      expect(announcing.reads).toBe(reads);
    } finally {
      vi.useRealTimers();
    }
  });

  it("reads rows another worker wrote while this one commits nothing", async () => {
    const announcing = new AnnouncingOutbox();
    const { client, outbox } = start(undefined, silentLogger, new Map([["linger.ms", "0"]]), announcing);
    await vi.waitFor(() => expect(announcing.reads).toBeGreaterThan(0), { timeout: 5_000 });
    outbox.add("x");
    await vi.waitFor(() => expect(client.committed).toEqual(["x"]), { timeout: 5_000 });
    expect(announcing.rowsRead).toBe(1);
  });
});
