import { decodeKafkaProducerRecordBytes } from "@statefun-ts/protocol";
import type { EgressRow, Logger } from "@statefun-ts/runtime";
import type { KafkaClient, KafkaProducer, ProducedRecord } from "./client.js";
import type { KafkaEgressSpec } from "./spec.js";

/** An outbox row with its place in the delivery order (the store's `EgressDelivery`). */
export interface OrderedRow extends EgressRow {
  readonly seq: number;
}

/** The outbox rows a Kafka egress delivers: committed records in commit order (the store's `EgressDelivery`). */
export interface Outbox {
  /**
   * Up to `limit` rows of egresses with no topic (every egress but the playground's) with `seq`
   * above `after`, in `seq` order; a row not returned yet always comes later with a larger `seq`,
   * above `floor` too.
   */
  ordered(after: number, limit: number, floor: number): Promise<OrderedRow[]>;
  /**
   * Deletes delivered rows: `rows` (in `seq` order) are every row of this egress from the first
   * one's `seq` to the last one's, so a store may delete them by range.
   */
  delete(rows: readonly OrderedRow[]): Promise<void>;
  /**
   * A number naming this outbox (its store) for good, the same for every worker of the store: the
   * delivered position in Kafka belongs to one outbox, so the transactional id and the progress
   * group include it (a new store must not inherit an old store's position).
   */
  identity(): Promise<number>;
  /** Names the numbering of `seq` (`"id"`: row ids); a position is kept per numbering. */
  order(): Promise<string>;
  /**
   * Optional (the store's `EgressDelivery.onEgressCommitted`): calls `listener` once each commit
   * of this worker is durable, with every outbox row it wrote and the `seq` of the first, the
   * others following one by one. Returns the unsubscribe.
   */
  committed?(listener: (rows: readonly Omit<EgressRow, "id">[], seq: number) => void): () => void;
}

/** Rows announced by commits and not read yet (`Outbox.committed`): `rows[at..]`, the first numbered `seq + at`. */
interface Announced {
  readonly rows: readonly Omit<EgressRow, "id">[];
  readonly seq: number;
  at: number;
}

/**
 * The turn of this worker to deliver an egress, in a cluster whose workers share one outbox (the
 * store's deliverer lease): one worker delivers at a time, the others stand by and take over when
 * it stops or dies. Without it, every worker delivers, and exactly-once producers sharing one
 * transactional id fence each other at every turn.
 */
export interface DelivererTurn {
  /** Takes or keeps the turn when it can; true while this worker holds it. */
  claim(): Promise<boolean>;
  /** Gives the turn up (a graceful stop), so another worker takes it at once. */
  release(): Promise<void>;
}

export interface KafkaEgressOptions {
  readonly spec: KafkaEgressSpec;
  readonly client: KafkaClient;
  readonly outbox: Outbox;
  readonly logger: Logger;
  /** Whose turn it is to deliver (cluster mode); undefined: this egress always delivers. */
  readonly turn?: DelivererTurn | undefined;
  /** How often the deliverer claims its turn again, and a worker standing by asks for it (default 1,000 ms). */
  readonly turnEveryMs?: number | undefined;
  /** How long a failed delivery waits before it is tried again (default 1,000 ms). */
  readonly retryMs?: number | undefined;
}

/**
 * The compacted topic whose consumer-group offsets hold how far each exactly-once egress has
 * delivered its outbox (group `statefun-ts.egress.{id}.{outbox identity}`, partition 0): written
 * inside the Kafka transaction of the records, read back at start.
 */
export const PROGRESS_TOPIC = "statefun-ts.egress-progress";

/** Rows read per round: one round is one Kafka transaction (exactly-once) or one acknowledged send. */
const ROUND_ROWS = 10_000;
/**
 * Key and value bytes per produce request (a broker refuses a partition batch past
 * `message.max.bytes`, 1 MiB by default). A round goes out in as few requests as that allows:
 * each is a round trip to the broker, one after the other (kafkajs' grouping of a request by
 * partition is made linear by linear-grouping.ts).
 */
const REQUEST_BYTES = 900_000;
const IDLE_MS = 5;
/**
 * How long after a round began a round short of `ROUND_ROWS` waits for more rows (the egress
 * property `linger.ms` overrides it): at moderate rates every round is a Kafka transaction (five
 * requests, and markers on every partition) or a produce request and a store transaction to
 * delete its rows, and the broker's and the worker's CPU per record grows as rounds get smaller.
 */
const LINGER_MS = 50;
const TURN_MS = 1_000;
/**
 * Rows announced by commits kept to be delivered from memory at most: past it (the egress behind,
 * or standing by) they are forgotten, and read back from the outbox as they would be without them.
 */
const ANNOUNCED_ROWS = 10 * ROUND_ROWS;
/**
 * How long the outbox goes unread at most while in sync with the announced commits and none comes:
 * longer than a commit takes under load (a grouped commit of thousands of units and its fsync, on a
 * busy machine, takes hundreds of milliseconds), or the egress reads back the rows of the commit
 * under way before their announcement, and at saturation reads most rows twice. Rows no commit of
 * this store object announces (none on SQLite, where one process holds the database) wait that long.
 */
const SYNCED_MS = 1_000;

/** An egress as `GET /v1/io` shows it. */
export interface KafkaEgressStatus {
  readonly id: string;
  readonly address: string;
  readonly deliverySemantic: "exactly-once" | "at-least-once" | "none";
  /** Undefined when connected; otherwise what it waits for (as `/readyz` says). */
  readonly problem: string | undefined;
  /** False while another worker of the cluster delivers this egress (this one stands by). */
  readonly delivering: boolean;
}

/**
 * A Kafka egress: delivers committed outbox records of its egress id to Kafka (records leave only
 * after the commit that produced them). `exactly-once`: each round in a Kafka transaction that also
 * commits the outbox position reached, so a restart (after any crash) resumes exactly after what a
 * `read_committed` consumer saw; the transactional producer fences its previous incarnation.
 * `at-least-once`: an idempotent producer, acks from all in-sync replicas, rows deleted after the
 * ack. `none`: sent without waiting for any ack, rows deleted at once.
 *
 * Rounds overlap: while one round's records go out (and its transaction commits), the next round's
 * rows are read, and the rows of the round before are deleted.
 */
export class KafkaEgress {
  private producer: KafkaProducer | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  private problem: string | undefined = "connecting to the broker";
  /** Exactly-once: every row of this egress with `seq` below this went out in a committed transaction. */
  private delivered = 0;
  /** The `seq` of the last row read (rows are read after it). */
  private cursor = 0;
  /** Deletes of delivered rows, one after the other, behind the deliveries. */
  private deleting: Promise<void> = Promise.resolve();
  private pendingDeletes = 0;
  private deleteFailure: Error | undefined;
  private wake: (() => void) | undefined;
  private identity = 0;
  private order = "id";
  /** Whether this worker holds its turn to deliver (always, without `turn`), and when to claim it again. */
  private holding = false;
  private nextClaim = 0;
  /** When the last round began to go out (`performance.now()`). */
  private lastRound = Number.NEGATIVE_INFINITY;
  /** The failure last logged, until a round goes out again: a failure repeated at every retry is logged once. */
  private loggedFailure: string | undefined;
  /** Rows committed by this worker, in `seq` order, not read yet: see `read`. */
  private announced: Announced[] = [];
  private announcedRows = 0;
  private unsubscribe: (() => void) | undefined;
  /**
   * The last read of the outbox came back short (it held nothing more then), and every commit
   * since was announced, in order: while no row is announced, the outbox holds none to read.
   */
  private synced = false;
  /** When the outbox was last read, or a commit last announced rows (`performance.now()`). */
  private lastHeard = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: KafkaEgressOptions) {}

  get id(): string {
    return this.options.spec.id;
  }

  get notReady(): string | undefined {
    return this.problem;
  }

  /** What this egress is (`GET /v1/io`, the console's I/O page). */
  status(): KafkaEgressStatus {
    const { id, address, deliverySemantic } = this.options.spec;
    return { id, address, deliverySemantic: deliverySemantic.type, problem: this.problem, delivering: this.holding };
  }

  start(): void {
    this.unsubscribe = this.options.outbox.committed?.((rows, seq) => this.announce(rows, seq));
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.forgetAnnounced();
    this.wake?.();
    await this.running;
    await this.deleting;
    await this.producer?.disconnect().catch(() => {});
    if (this.holding) await this.options.turn?.release().catch(() => {});
  }

  private get lingerMs(): number {
    const linger = Number(this.options.spec.properties.get("linger.ms") ?? LINGER_MS);
    return Number.isFinite(linger) && linger >= 0 ? linger : LINGER_MS;
  }

  /** The transactional id: one per egress and outbox. */
  private get transactionalId(): string {
    return `statefun-ts.egress.${this.options.spec.id}.${this.identity}`;
  }

  /** The progress group: one per egress, outbox and numbering of the outbox (row ids keep the name they always had). */
  private get group(): string {
    return this.order === "id" ? this.transactionalId : `${this.transactionalId}.${this.order}`;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (!(await this.myTurn())) {
          // Another worker delivers: stand by, with no producer (it would fence the deliverer's).
          await this.standBy();
          await this.sleep(this.options.turnEveryMs ?? TURN_MS);
          continue;
        }
        if (this.producer === undefined) await this.connect();
        await this.pump(this.producer!);
      } catch (error) {
        if (this.stopped) return;
        this.problem = `Kafka egress ${this.options.spec.id}: ${(error as Error).message}`;
        if (String(error) !== this.loggedFailure) {
          this.loggedFailure = String(error);
          this.options.logger.warn({ egress: this.options.spec.id, error: String(error) }, "Kafka egress: delivery failed, retrying");
        }
        await this.producer?.disconnect().catch(() => {});
        this.producer = undefined;
        // Whose turn it is may have changed (a fenced producer: another worker took over): ask again.
        this.nextClaim = 0;
        await this.sleep(this.options.retryMs ?? 1_000);
      }
    }
  }

  /** True while this worker may deliver: claims the turn at most every `turnEveryMs` (always true without `turn`). */
  private async myTurn(): Promise<boolean> {
    const { turn, logger, spec } = this.options;
    if (turn === undefined) {
      this.holding = true;
      return true;
    }
    const now = Date.now();
    if (now < this.nextClaim) return this.holding;
    const holding = await turn.claim();
    this.nextClaim = Date.now() + (this.options.turnEveryMs ?? TURN_MS);
    if (holding !== this.holding) {
      logger.info({ egress: spec.id }, holding ? "Kafka egress: delivering" : "Kafka egress: another worker delivers, standing by");
    }
    this.holding = holding;
    return holding;
  }

  private async standBy(): Promise<void> {
    this.problem = undefined;
    if (this.producer === undefined) return;
    await this.deleting;
    await this.producer.disconnect().catch(() => {});
    this.producer = undefined;
  }

  private async connect(): Promise<void> {
    const { spec, client, outbox } = this.options;
    const semantic = spec.deliverySemantic;
    const exactlyOnce = semantic.type === "exactly-once";
    // Rows whose delete failed are read again from the start (exactly-once: only deleted, being below the position).
    await this.deleting;
    this.deleteFailure = undefined;
    this.cursor = 0;
    this.forgetAnnounced();
    if (exactlyOnce) {
      this.identity = await outbox.identity();
      this.order = await outbox.order();
      const admin = await client.admin();
      try {
        await admin.createTopics([{ topic: PROGRESS_TOPIC, partitions: 1, config: { "cleanup.policy": "compact" } }]);
      } finally {
        await admin.close().catch(() => {});
      }
    }
    const producer = client.producer(
      exactlyOnce
        ? {
            transactionalId: spec.properties.get("transactional.id") ?? this.transactionalId,
            transactionTimeoutMs: semantic.transactionTimeoutMs,
          }
        : { idempotent: semantic.type === "at-least-once" },
    );
    // A transactional producer fences its previous incarnation here (see kafkajs.ts).
    await producer.connect();
    if (exactlyOnce) {
      const admin = await client.admin();
      try {
        this.delivered = (await admin.groupOffsets(this.group, PROGRESS_TOPIC)).get(0) ?? 0;
      } finally {
        await admin.close().catch(() => {});
      }
    }
    this.producer = producer;
  }

  /**
   * Delivers round after round until stopped (or a failure, thrown): reads the next round while
   * the current one is sent, and deletes each round's rows behind it.
   */
  private async pump(producer: KafkaProducer): Promise<void> {
    let next = this.read();
    try {
      while (!this.stopped) {
        if (this.deleteFailure !== undefined) throw this.deleteFailure;
        // The turn passed to another worker (this one was not a live member for a while): stop here.
        if (!(await this.myTurn())) return;
        let rows = await next;
        this.problem = undefined;
        if (rows === undefined) {
          await this.sleep(IDLE_MS);
          next = this.read();
          continue;
        }
        // Short of a full round: wait out the linger since the last round began, if any, and take
        // what came meanwhile too (the rows above were read as the last round began: those
        // committed while it went out come now, not a round later).
        const wait = this.lastRound + this.lingerMs - performance.now();
        if (rows.length < ROUND_ROWS) {
          if (wait > 0) await this.sleep(wait);
          if (this.stopped) return;
          const more = await this.read();
          if (more !== undefined) rows = rows.concat(more);
        }
        // Read the next round while this one goes out.
        next = this.read();
        this.lastRound = performance.now();
        await this.deliver(producer, rows);
        if (this.loggedFailure !== undefined) {
          this.loggedFailure = undefined;
          this.options.logger.info({ egress: this.options.spec.id }, "Kafka egress: delivering again");
        }
        this.deleteBehind(rows);
        if (this.pendingDeletes > 2) await this.deleting;
      }
    } finally {
      // The read under way moves the cursor: let it finish before a reconnect resets the cursor.
      await next.catch(() => {});
    }
  }

  /** Deletes delivered rows in the background, in order; a failure is thrown by the next round (and the rows are read again after the reconnect). */
  private deleteBehind(rows: readonly OrderedRow[]): void {
    this.pendingDeletes++;
    this.deleting = this.deleting
      .then(() => this.options.outbox.delete(rows))
      .catch((error: unknown) => {
        this.deleteFailure ??= error as Error;
      })
      .finally(() => {
        this.pendingDeletes--;
      });
  }

  /** A commit of this worker wrote `rows`, numbered from `seq` (see `read`). */
  private announce(rows: readonly Omit<EgressRow, "id">[], seq: number): void {
    if (this.stopped || !this.holding || this.producer === undefined) {
      this.forgetAnnounced();
      return;
    }
    this.lastHeard = performance.now();
    // Past the bound, or after a gap (rows kept only while each follows the last): read back later.
    const last = this.announced.at(-1);
    if (this.announcedRows + rows.length > ANNOUNCED_ROWS || (last !== undefined && last.seq + last.rows.length !== seq)) {
      this.synced = false;
      return;
    }
    this.announced.push({ rows, seq, at: 0 });
    this.announcedRows += rows.length;
  }

  private forgetAnnounced(): void {
    this.announced = [];
    this.announcedRows = 0;
    this.synced = false;
  }

  /**
   * Rows announced by commits that the outbox would return next (undefined when it may hold
   * others first): the announced rows numbered from just after the cursor on, as long as they
   * follow one another, up to a round. The cursor moves past them as a read would.
   */
  private takeAnnounced(): OrderedRow[] | undefined {
    const announced = this.announced;
    // What the outbox returned already (a read after their commit) is not needed any more.
    while (announced.length > 0) {
      const head = announced[0]!;
      const end = head.seq + head.rows.length - 1;
      if (end > this.cursor) {
        if (head.seq + head.at <= this.cursor) {
          this.announcedRows -= this.cursor + 1 - head.seq - head.at;
          head.at = this.cursor + 1 - head.seq;
        }
        break;
      }
      announced.shift();
      this.announcedRows -= head.rows.length - head.at;
    }
    // Only when nothing can come between the cursor and them (other workers' rows, rows written before this worker started).
    if (announced.length === 0) return undefined;
    if (announced[0]!.seq + announced[0]!.at !== this.cursor + 1) {
      this.synced = false;
      return undefined;
    }
    const id = this.options.spec.id;
    const rows: OrderedRow[] = [];
    let taken = 0;
    while (announced.length > 0 && taken < ROUND_ROWS) {
      const head = announced[0]!;
      const from = head.seq + head.at;
      if (from !== this.cursor + 1) break;
      const n = Math.min(head.rows.length - head.at, ROUND_ROWS - taken);
      for (let i = head.at; i < head.at + n; i++) {
        const row = head.rows[i]!;
        // The outbox's read returns rows with no topic only (a topic is the playground's egress).
        if (row.topic !== "") continue;
        // Fields listed one by one: a spread with fields added after it takes V8's slow path (a record each).
        if (row.egress === id) {
          const seq = head.seq + i;
          rows.push({ id: seq, egress: row.egress, topic: row.topic, argument: row.argument, createdAt: row.createdAt, seq });
        }
      }
      head.at += n;
      taken += n;
      this.announcedRows -= n;
      this.cursor = from + n - 1;
      if (head.at === head.rows.length) announced.shift();
    }
    return rows;
  }

  /** The next rows of this egress after the cursor (undefined when there are none), moving the cursor past every row read. */
  private async read(): Promise<OrderedRow[] | undefined> {
    const { spec, outbox } = this.options;
    for (;;) {
      // Rows this worker's commits announced, when they are what the outbox would return: not read back.
      const announced = this.takeAnnounced();
      if (announced !== undefined) {
        if (announced.length > 0) return announced;
        continue;
      }
      // Nothing committed since the outbox was read to its end: no read, unless this worker was
      // quiet for a while (rows another worker's store wrote are announced to nobody here).
      if (this.synced && this.announced.length === 0 && performance.now() - this.lastHeard < SYNCED_MS) return undefined;
      const after = this.cursor;
      const floor = spec.deliverySemantic.type === "exactly-once" ? Math.max(0, this.delivered - 1) : 0;
      const peeked = await outbox.ordered(after, ROUND_ROWS, floor);
      this.lastHeard = performance.now();
      this.synced = peeked.length < ROUND_ROWS && outbox.committed !== undefined;

      if (peeked.length === 0) return undefined;
      // Reads never overlap (the next starts once this one resolved), so the cursor only moves forward.
      this.cursor = peeked.at(-1)!.seq;
      const rows = peeked.filter((r) => r.egress === spec.id);
      if (rows.length > 0) return rows;
    }
  }

  /** Sends one round's rows (rows of an exactly-once egress below the delivered position are only deleted). */
  private async deliver(producer: KafkaProducer, rows: readonly OrderedRow[]): Promise<void> {
    const { spec, logger } = this.options;
    const semantic = spec.deliverySemantic.type;
    // Exactly-once: rows below `delivered` went out in a committed transaction before a crash; they only need deleting.
    const fresh = semantic === "exactly-once" ? rows.filter((r) => r.seq >= this.delivered) : rows;
    const requests: ProducedRecord[][] = [[]];
    let bytes = 0;
    for (const row of fresh) {
      let record: ProducedRecord;
      try {
        // Key and value are views of the row's bytes (Buffers, as kafkajs takes them): no copy on the way to the produce request.
        const { typename, value } = row.argument;
        const decoded = decodeKafkaProducerRecordBytes({ typename, value: Buffer.from(value.buffer, value.byteOffset, value.byteLength) });
        record = { topic: decoded.topic, key: decoded.key.length === 0 ? null : decoded.key, value: decoded.value };
      } catch (error) {
        logger.error(
          { egress: spec.id, record: row.id, error: String(error) },
          "Kafka egress: dropping a record that is not a KafkaProducerRecord",
        );
        continue;
      }
      const size = record.value.byteLength + (record.key?.byteLength ?? 0);
      const last = requests.at(-1)!;
      if (bytes + size > REQUEST_BYTES && last.length > 0) {
        requests.push([]);
        bytes = 0;
      }
      requests.at(-1)!.push(record);
      bytes += size;
    }
    if (semantic === "exactly-once") {
      if (fresh.length === 0) return;
      const next = fresh.at(-1)!.seq + 1;
      const transaction = await producer.transaction();
      try {
        // The records (AddPartitionsToTxn, Produce) and the position (AddOffsetsToTxn, TxnOffsetCommit)
        // at once, two chains of requests instead of one after the other; then the commit.
        const sent = await Promise.allSettled([
          (async () => {
            for (const request of requests) await transaction.send(request);
          })(),
          transaction.sendOffset(this.group, PROGRESS_TOPIC, 0, next),
        ]);
        for (const s of sent) if (s.status === "rejected") throw s.reason;
        await transaction.commit();
      } catch (error) {
        await transaction.abort().catch(() => {});
        throw error;
      }
      this.delivered = next;
    } else {
      for (const request of requests) await producer.send(request, semantic === "none" ? 0 : -1);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
