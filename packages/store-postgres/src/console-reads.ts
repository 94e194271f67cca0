import type { Row } from "@statefun-ts/runtime/spi";
import { type Named, named } from "./statements.js";

const CONSOLE = named({
  // DISTINCT over the primary key's prefix (namespace, type, id): an index range, never a scan.
  instances:
    "SELECT DISTINCT id FROM state WHERE namespace = $1 AND type = $2 AND ($3::text IS NULL OR id > $3::text) ORDER BY id LIMIT $4::int",
  egressDepth: "SELECT topic, count(*)::int FROM egress GROUP BY topic",
});

type Query = (statement: Named, values: unknown[]) => Promise<Row[]>;

/** `ConsoleReads.listInstances` on PostgreSQL. */
export async function listInstances(
  rows: Query,
  functionType: { namespace: string; type: string },
  afterId: string | undefined,
  limit: number,
): Promise<string[]> {
  if (limit <= 0) return [];
  return (await rows(CONSOLE.instances, [functionType.namespace, functionType.type, afterId ?? null, limit])).map((r) => r[0] as string);
}

/** `ConsoleReads.egressDepth` on PostgreSQL. */
export async function egressDepth(rows: Query): Promise<Map<string, number>> {
  return new Map((await rows(CONSOLE.egressDepth, [])).map((r) => [r[0] as string, Number(r[1])]));
}
