import type Database from "better-sqlite3";

/** `ConsoleReads` on SQLite: statements prepared once per database. */
export class SqliteConsoleReads {
  private readonly instances: Database.Statement;
  private readonly instancesAfter: Database.Statement;
  private readonly depth: Database.Statement;

  constructor(db: Database.Database) {
    // DISTINCT over the primary key's prefix (namespace, type, id): an index range, never a scan.
    this.instances = db.prepare("SELECT DISTINCT id FROM state WHERE namespace = ? AND type = ? ORDER BY id LIMIT ?").pluck();
    this.instancesAfter = db
      .prepare("SELECT DISTINCT id FROM state WHERE namespace = ? AND type = ? AND id > ? ORDER BY id LIMIT ?")
      .pluck();
    this.depth = db.prepare("SELECT topic, count(*) FROM egress GROUP BY topic").raw();
  }

  listInstances(functionType: { namespace: string; type: string }, afterId: string | undefined, limit: number): string[] {
    if (limit <= 0) return [];
    const { namespace, type } = functionType;
    return (
      afterId === undefined ? this.instances.all(namespace, type, limit) : this.instancesAfter.all(namespace, type, afterId, limit)
    ) as string[];
  }

  egressDepth(): Map<string, number> {
    return new Map(this.depth.all() as [string, number][]);
  }
}
