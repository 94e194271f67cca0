import { StatefunError } from "@statefun-ts/protocol";
import type { ClusterView, EgressClaim, Fence, Lease } from "@statefun-ts/runtime/spi";
import { type Row, toEgressRow } from "@statefun-ts/runtime/spi";
import { int4Array, int8Array } from "./arrays.js";
import { type Named, named } from "./statements.js";

/** Epoch milliseconds of a timestamptz, as a bigint. */
const ms = (t: string) => `(extract(epoch FROM ${t}) * 1000)::bigint`;
const LIVE = "expires_at > now()";

const CLUSTER = named({
  // The upsert is not visible to the rest of the statement (one snapshot): the heartbeating owner
  // is listed from the parameters. Rows: ('n', now), ('m', member), ('l', owner | NULL, key group, epoch).
  heartbeat: `WITH beat AS (INSERT INTO members (owner, expires_at) VALUES ($1::text, now() + $2::bigint * interval '1 millisecond')
      ON CONFLICT (owner) DO UPDATE SET expires_at = excluded.expires_at)
    SELECT 'n', NULL::text, NULL::int, ${ms("now()")}
    UNION ALL SELECT 'm', owner, NULL, NULL FROM members WHERE ${LIVE} AND owner <> $1::text
    UNION ALL SELECT 'm', $1::text, NULL, NULL WHERE $2::bigint > 0
    UNION ALL SELECT 'l', owner, key_group, epoch FROM leases`,
  leave: "DELETE FROM members WHERE owner = $1",
  // Sorted key groups: concurrent claims lock the lease rows in the same order.
  claim: `INSERT INTO leases AS l (key_group, owner, epoch) SELECT kg, $2::text, 1 FROM unnest($1::int[]) AS kg ORDER BY kg
    ON CONFLICT (key_group) DO UPDATE SET owner = excluded.owner, epoch = l.epoch + 1
    WHERE l.owner IS NULL OR l.owner = excluded.owner
      OR NOT EXISTS (SELECT 1 FROM members m WHERE m.owner = l.owner AND m.${LIVE})
    RETURNING key_group, epoch`,
  release: `UPDATE leases l SET owner = NULL FROM unnest($2::int[], $3::bigint[]) AS t(key_group, epoch)
    WHERE l.key_group = t.key_group AND l.owner = $1 AND l.epoch = t.epoch`,
  // SKIP LOCKED: concurrent claimants take different records instead of waiting for each other.
  claimEgress: `UPDATE egress SET claimed_by = $2, claimed_until = now() + $3::bigint * interval '1 millisecond'
    WHERE id = (SELECT id FROM egress WHERE topic = $1 AND (claimed_until IS NULL OR claimed_until <= now())
      ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING id, egress, topic, typename, value, created_at, ${ms("claimed_until")}`,
  unclaimEgress: "UPDATE egress SET claimed_by = NULL, claimed_until = NULL WHERE id = $1::bigint AND claimed_by = $2",
  ackEgress: "DELETE FROM egress WHERE id = $1::bigint AND claimed_by = $2 AND topic = $3 RETURNING id",
});

type Query = (statement: Named, values: unknown[]) => Promise<Row[]>;

/** A duration in whole milliseconds, or a clear error naming the call. */
function millis(call: string, leaseMs: number): number {
  if (!Number.isFinite(leaseMs) || leaseMs < 0) {
    throw new StatefunError("STATEFUN_BAD_CONFIG", `${call} needs a leaseMs >= 0 (milliseconds), got ${String(leaseMs)}`);
  }
  return Math.round(leaseMs);
}

/**
 * Membership, conditional leases and egress claims (runtime `store/leases.ts`) on PostgreSQL,
 * each one statement, so one transaction. Every time is the database's `now()`: workers' clocks
 * never matter. A released lease keeps its row and epoch with a NULL owner.
 */
export class PostgresCluster {
  constructor(private readonly rows: Query) {}

  async heartbeat(owner: string, leaseMs: number): Promise<ClusterView> {
    let now = 0;
    const members: string[] = [];
    const leases = new Map<number, Lease>();
    for (const [kind, name, keyGroup, value] of await this.rows(CLUSTER.heartbeat, [owner, millis("heartbeat", leaseMs)])) {
      if (kind === "n") now = value as number;
      else if (kind === "m") members.push(name as string);
      else leases.set(keyGroup as number, { owner: (name as string | null) ?? undefined, epoch: value as number });
    }
    // Code unit order, whatever the database's collation.
    return { now, members: members.sort(), leases };
  }

  async leave(owner: string): Promise<void> {
    await this.rows(CLUSTER.leave, [owner]);
  }

  async claim(owner: string, keyGroups: readonly number[]): Promise<Map<number, number>> {
    const groups = [...new Set(keyGroups)].sort((a, b) => a - b);
    if (groups.length === 0) return new Map();
    const rows = await this.rows(CLUSTER.claim, [int4Array(groups), owner]);
    return new Map(rows.map(([kg, epoch]) => [kg as number, epoch as number]));
  }

  async release(fence: Fence, keyGroups: readonly number[]): Promise<void> {
    const held = [...new Set(keyGroups)].filter((kg) => fence.epochs.has(kg)).sort((a, b) => a - b);
    if (held.length === 0) return;
    await this.rows(CLUSTER.release, [fence.owner, int4Array(held), int8Array(held.map((kg) => fence.epochs.get(kg)))]);
  }

  async claimEgress(topic: string, claimant: string, leaseMs: number): Promise<EgressClaim | undefined> {
    const [row] = await this.rows(CLUSTER.claimEgress, [topic, claimant, millis("claimEgress", leaseMs)]);
    return row === undefined ? undefined : { ...toEgressRow(row), claimedUntil: row[6] as number };
  }

  async ackEgress(topic: string, id: number, claimant: string): Promise<boolean> {
    return (await this.rows(CLUSTER.ackEgress, [id, claimant, topic])).length > 0;
  }

  async unclaimEgress(id: number, claimant: string): Promise<void> {
    await this.rows(CLUSTER.unclaimEgress, [id, claimant]);
  }
}
