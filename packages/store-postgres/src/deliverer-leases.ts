import type { DelivererLease, Row } from "@statefun-ts/runtime/spi";
import type { Migration } from "./migrations.js";
import { named } from "./statements.js";

/** Deliverer leases (migration 8): a released lease keeps its row and epoch with a NULL owner. */
export const delivererLeasesMigration: Migration = {
  version: 8,
  description: "deliverer leases: which worker delivers a Kafka egress's outbox",
  async up(client) {
    await client.query("CREATE TABLE deliverer_leases (name text PRIMARY KEY, owner text, epoch bigint NOT NULL)");
  },
};

// The holder may be replaced when there is none, it is the claimant, or it is not a live member.
const TAKEABLE = `(d.owner IS NULL OR d.owner = excluded.owner
  OR NOT EXISTS (SELECT 1 FROM members m WHERE m.owner = d.owner AND m.expires_at > now()))`;

const LEASES = named({
  // Always updates a conflicting row (to itself when it may not be taken): the row is locked and
  // RETURNING gives the lease as it stands, whatever claims ran at the same time.
  claimDeliverer: `INSERT INTO deliverer_leases AS d (name, owner, epoch) VALUES ($1::text, $2::text, 1)
    ON CONFLICT (name) DO UPDATE SET
      owner = CASE WHEN ${TAKEABLE} THEN excluded.owner ELSE d.owner END,
      epoch = CASE WHEN d.owner IS DISTINCT FROM excluded.owner AND ${TAKEABLE} THEN d.epoch + 1 ELSE d.epoch END
    RETURNING owner, epoch`,
  releaseDeliverer: "UPDATE deliverer_leases SET owner = NULL WHERE name = $1::text AND owner = $2::text",
});

type Query = (statement: { name: string; text: string }, values: unknown[]) => Promise<Row[]>;

/** `DelivererLeases` on PostgreSQL, each call one statement; membership is read at the database's `now()`. */
export class PostgresDelivererLeases {
  constructor(private readonly rows: Query) {}

  async claim(name: string, owner: string): Promise<DelivererLease> {
    const [row] = await this.rows(LEASES.claimDeliverer, [name, owner]);
    return { owner: (row![0] as string | null) ?? undefined, epoch: Number(row![1]) };
  }

  async release(name: string, owner: string): Promise<void> {
    await this.rows(LEASES.releaseDeliverer, [name, owner]);
  }
}
