import type { CommitBatch, SourceAdvance } from "@statefun-ts/runtime/spi";
import type { PoolClient } from "pg";
import type { Migration } from "./migrations.js";

/** Ingress source positions (Kafka partitions), committed with the messages they produced (migration 3). */
export const sourcePositionsMigration: Migration = {
  version: 3,
  description: "ingress source positions",
  async up(client) {
    await client.query(`
      CREATE TABLE source_positions (
        source text NOT NULL,
        partition text NOT NULL,
        position bigint NOT NULL,
        PRIMARY KEY (source, partition)
      );
    `);
  },
};

/**
 * Inside the commit's transaction: applies each source advance whose `from` still holds (a row
 * lock on the position makes a second worker's commit of the same partition wait, then find the
 * position moved); returns the batch with the accepted advances' messages and dead letters added
 * to its own, and the indexes of the rejected ones (`SourceAdvance`).
 */
export async function advanceSources(client: PoolClient, batch: CommitBatch): Promise<{ batch: CommitBatch; rejected: Set<number> }> {
  const rejected = new Set<number>();
  const accepted: SourceAdvance[] = [];
  const sources = batch.sources ?? [];
  for (let index = 0; index < sources.length; index++) {
    const a = sources[index]!;
    const { rowCount } =
      a.from === null
        ? await client.query("INSERT INTO source_positions (source, partition, position) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", [
            a.source,
            a.partition,
            a.to,
          ])
        : await client.query("UPDATE source_positions SET position = $1 WHERE source = $2 AND partition = $3 AND position = $4", [
            a.to,
            a.source,
            a.partition,
            a.from,
          ]);
    if (rowCount === 1) accepted.push(a);
    else rejected.add(index);
  }
  if (accepted.length === 0) return { batch, rejected };
  return {
    batch: {
      ...batch,
      messages: [...batch.messages, ...accepted.flatMap((a) => a.messages)],
      deadLetters: [...batch.deadLetters, ...accepted.flatMap((a) => a.deadLetters)],
    },
    rejected,
  };
}

export async function loadSourcePositions(client: PoolClient, source: string): Promise<Map<string, number>> {
  const { rows } = await client.query<[string, string]>({
    text: "SELECT partition, position FROM source_positions WHERE source = $1",
    values: [source],
    rowMode: "array",
  });
  return new Map(rows.map(([partition, position]) => [partition, Number(position)]));
}
