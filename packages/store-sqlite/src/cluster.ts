import type { ClusterView, EgressClaim, Fence, Lease } from "@statefun-ts/runtime/spi";
import { toEgressRow } from "@statefun-ts/runtime/spi";
import type Database from "better-sqlite3";

/** A released lease keeps its row and epoch with an empty owner. */
const RELEASED = "";

/**
 * Membership, conditional leases and egress claims on SQLite, with the semantics of
 * `store/leases.ts` in the runtime. One process opens the store, so `Date.now()` is the clock.
 */
export class SqliteCluster {
  private readonly db: Database.Database;
  private readonly upsertMember: Database.Statement;
  private readonly deleteMember: Database.Statement;
  private readonly liveMembers: Database.Statement;
  private readonly leases: Database.Statement;
  private readonly claimLease: Database.Statement;
  private readonly releaseLease: Database.Statement;
  private readonly claimEgressStatement: Database.Statement;
  private readonly unclaimEgressStatement: Database.Statement;
  private readonly ackEgressStatement: Database.Statement;

  /** The commit's copy of lease rows (`Statements.leaseCache`): every lease write here clears it first. */
  private readonly leaseCache: Map<number, unknown>;

  constructor(db: Database.Database, leaseCache: Map<number, unknown>) {
    this.leaseCache = leaseCache;
    this.db = db;
    this.upsertMember = db.prepare(
      "INSERT INTO members (owner, expires_at) VALUES (?, ?) ON CONFLICT (owner) DO UPDATE SET expires_at = excluded.expires_at",
    );
    this.deleteMember = db.prepare("DELETE FROM members WHERE owner = ?");
    this.liveMembers = db.prepare("SELECT owner FROM members WHERE expires_at > ? ORDER BY owner").pluck();
    this.leases = db.prepare("SELECT key_group, owner, epoch FROM leases ORDER BY key_group").raw(true);
    this.claimLease = db
      .prepare(
        `INSERT INTO leases (key_group, owner, epoch) VALUES (@kg, @owner, 1)
         ON CONFLICT (key_group) DO UPDATE SET owner = @owner, epoch = epoch + 1
         WHERE owner = '' OR owner = @owner OR owner NOT IN (SELECT owner FROM members WHERE expires_at > @now)
         RETURNING epoch`,
      )
      .pluck();
    this.releaseLease = db.prepare(`UPDATE leases SET owner = '${RELEASED}' WHERE key_group = ? AND owner = ? AND epoch = ?`);
    this.claimEgressStatement = db
      .prepare(
        `UPDATE egress SET claimed_by = @claimant, claimed_until = @until
       WHERE id = (SELECT id FROM egress WHERE topic = @topic AND (claimed_until IS NULL OR claimed_until <= @now) ORDER BY id LIMIT 1)
       RETURNING id, egress, topic, typename, value, created_at`,
      )
      .raw(true);
    this.unclaimEgressStatement = db.prepare("UPDATE egress SET claimed_by = NULL, claimed_until = NULL WHERE id = ? AND claimed_by = ?");
    this.ackEgressStatement = db.prepare("DELETE FROM egress WHERE id = ? AND claimed_by = ? AND topic = ?");
  }

  heartbeat(owner: string, leaseMs: number): ClusterView {
    return this.db.transaction(() => {
      const now = Date.now();
      this.upsertMember.run(owner, now + leaseMs);
      const leases = new Map<number, Lease>();
      for (const [kg, holder, epoch] of this.leases.all() as [number, string, number][]) {
        leases.set(kg, { owner: holder === RELEASED ? undefined : holder, epoch });
      }
      return { now, members: this.liveMembers.all(now) as string[], leases };
    })();
  }

  leave(owner: string): void {
    this.deleteMember.run(owner);
  }

  claim(owner: string, keyGroups: readonly number[]): Map<number, number> {
    this.leaseCache.clear();
    return this.db.transaction(() => {
      const now = Date.now();
      const epochs = new Map<number, number>();
      for (const kg of new Set(keyGroups)) {
        const epoch = this.claimLease.get({ kg, owner, now }) as number | undefined;
        if (epoch !== undefined) epochs.set(kg, epoch);
      }
      return epochs;
    })();
  }

  release(fence: Fence, keyGroups: readonly number[]): void {
    this.leaseCache.clear();
    this.db.transaction(() => {
      for (const kg of keyGroups) {
        const epoch = fence.epochs.get(kg);
        if (epoch !== undefined) this.releaseLease.run(kg, fence.owner, epoch);
      }
    })();
  }

  claimEgress(topic: string, claimant: string, leaseMs: number): EgressClaim | undefined {
    const now = Date.now();
    const row = this.claimEgressStatement.get({ claimant, until: now + leaseMs, topic, now }) as unknown[] | undefined;
    return row === undefined ? undefined : { ...toEgressRow(row), claimedUntil: now + leaseMs };
  }

  unclaimEgress(id: number, claimant: string): void {
    this.unclaimEgressStatement.run(id, claimant);
  }

  ackEgress(topic: string, id: number, claimant: string): boolean {
    return this.ackEgressStatement.run(id, claimant, topic).changes > 0;
  }
}
