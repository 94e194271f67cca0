import type { CommitBatch } from "@statefun-ts/runtime/spi";
import type Database from "better-sqlite3";
import { pushMessage, putMessage } from "./message-params.js";
import type { Statements } from "./statements.js";

/** The statements of ingress source positions (table `source_positions`, migration 7). */
export interface SourceStatements {
  readonly insertFirst: Database.Statement<unknown[], unknown>;
  readonly advance: Database.Statement<unknown[], unknown>;
  readonly ofSource: Database.Statement<unknown[], unknown[]>;
}

export function prepareSourceStatements(db: Database.Database): SourceStatements {
  return {
    insertFirst: db.prepare("INSERT INTO source_positions (source, partition, position) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"),
    advance: db.prepare("UPDATE source_positions SET position = ? WHERE source = ? AND partition = ? AND position = ?"),
    ofSource: db.prepare("SELECT partition, position FROM source_positions WHERE source = ?").raw(true) as Database.Statement<
      unknown[],
      unknown[]
    >,
  };
}

/**
 * Applies the batch's source advances whose `from` still holds, with their messages and dead
 * letters, inside the commit's transaction; returns the indexes of the others (`SourceAdvance`).
 */
export function advanceSources(s: Statements, q: SourceStatements, batch: CommitBatch): Set<number> | undefined {
  const sources = batch.sources ?? [];
  if (sources.length === 0) return undefined;
  const rejected = new Set<number>();
  const messages = s.insertMessages;
  sources.forEach((a, index) => {
    const moved =
      a.from === null ? q.insertFirst.run(a.source, a.partition, a.to).changes : q.advance.run(a.to, a.source, a.partition, a.from).changes;
    if (moved === 0) {
      rejected.add(index);
      return;
    }
    for (const m of a.messages) putMessage(messages, m);
    for (const d of a.deadLetters) {
      const params: unknown[] = [];
      pushMessage(params, d.message);
      params.push(d.error, d.attempts, d.failedAt);
      s.insertDeadLetter.run(params);
    }
  });
  // Once for all the advances: the rows short of a full chunk go one by one.
  messages.flush();
  return rejected;
}

export function loadSourcePositions(q: SourceStatements, source: string): Map<string, number> {
  return new Map(q.ofSource.all(source).map((row) => [row[0] as string, row[1] as number]));
}
