import type { OrderedEgressRow, Row } from "@statefun-ts/runtime/spi";
import { toEgressRow } from "@statefun-ts/runtime/spi";
import type { Migration } from "./migrations.js";
import { named } from "./statements.js";

/**
 * The delivery order of the outbox (`EgressDelivery`) on PostgreSQL (migration 6).
 *
 * Row ids do not give commit order across workers: a commit takes its ids from the identity
 * sequence when it inserts and becomes visible when it commits, so a row with a smaller id can
 * appear after a larger one was read. Instead, each row gets a `seq` once it is visible: the
 * function `statefun_sequence_egress` numbers the committed rows that have none, under a lock held
 * until its transaction ends, from the sequence `egress_seq`. Numberings are serialised by the lock
 * and each one commits before the next draws, so every row numbered later gets a larger `seq`
 * than every row a reader could already see: `seq` is a commit order. Writers pay nothing (the
 * number is drawn by the reader); a deliverer numbers before it reads.
 */
export const egressDeliveryMigration: Migration = {
  version: 6,
  description: "egress delivery order: seq, numbered in commit order by the reader",
  async up(client) {
    await client.query(`
      ALTER TABLE egress ADD COLUMN seq bigint;
      CREATE SEQUENCE egress_seq;
      CREATE INDEX egress_unsequenced ON egress (id) WHERE seq IS NULL AND topic = '';
      CREATE INDEX egress_sequenced ON egress (seq) WHERE seq IS NOT NULL;
      CREATE FUNCTION statefun_sequence_egress(floor bigint, most int) RETURNS void LANGUAGE plpgsql AS $fn$
      BEGIN
        -- One numbering at a time (per schema); held until this statement's transaction ends.
        PERFORM pg_advisory_xact_lock(hashtext('statefun-ts egress seq ' || current_schema()));
        IF (SELECT last_value FROM egress_seq) <= floor THEN
          PERFORM setval('egress_seq', floor);
        END IF;
        -- In id order within one numbering: the records of one commit keep the order they were written in.
        UPDATE egress e SET seq = n.seq
          FROM (SELECT id, nextval('egress_seq') AS seq
                FROM (SELECT id FROM egress WHERE seq IS NULL AND topic = '' ORDER BY id LIMIT most) o) n
          WHERE e.id = n.id;
      END
      $fn$;
    `);
  },
};

const DELIVERY = named({
  sequenceEgress: "SELECT statefun_sequence_egress($1::bigint, $2::int)",
  unsequencedEgress: "SELECT 1 FROM egress WHERE seq IS NULL AND topic = '' LIMIT 1",
  orderedEgress: `SELECT id, egress, topic, typename, value, created_at, seq FROM egress
    WHERE seq > $1::bigint ORDER BY seq LIMIT $2::int`,
});

type Query = (statement: { name: string; text: string }, values: unknown[]) => Promise<Row[]>;

/**
 * `EgressDelivery.orderedEgress` on PostgreSQL: numbers the visible rows that have no `seq` yet
 * (all of them when there are fewer than `limit`), then reads in `seq` order. Numbering draws above
 * `floor`, so a position kept from before a move (rows imported without `seq`) is never undercut.
 */
export async function orderedEgress(rows: Query, after: number, limit: number, floor = after): Promise<OrderedEgressRow[]> {
  if (limit <= 0) return [];
  if ((await rows(DELIVERY.unsequencedEgress, [])).length > 0) await rows(DELIVERY.sequenceEgress, [floor, Math.max(limit, 10_000)]);
  return (await rows(DELIVERY.orderedEgress, [after, limit])).map((r) => ({ ...toEgressRow(r), seq: Number(r[6]) }));
}
