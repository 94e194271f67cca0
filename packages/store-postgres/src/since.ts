import type { MessagePage, StoredMessage } from "@statefun-ts/runtime/spi";
import { MESSAGE_COLUMNS, type Row, toMessage } from "@statefun-ts/runtime/spi";
import { int4Array } from "./arrays.js";
import { type Named, named } from "./statements.js";

const SINCE = named({
  // The horizon is the oldest transaction still running in the statement's snapshot: every
  // transaction with a lower id has ended, and every one that commits later has an id at or above
  // it. Rows: (horizon, held back, position, message columns...), one row of NULLs when none.
  // "Held back" is computed once, in the CTE: as a subquery of the select list it ran once per row
  // returned, each time walking the (uncommitted, invisible) rows of every commit in flight.
  messagesSince: `WITH h AS MATERIALIZED (SELECT s.x, EXISTS (SELECT 1 FROM messages b WHERE b.tx >= s.x AND b.due_at IS NULL AND b.key_group = ANY($2::int[])) AS held
      FROM (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS x) AS s)
    SELECT h.x::text::bigint, h.held, m.* FROM h LEFT JOIN LATERAL (
        SELECT tx::text::bigint, ${MESSAGE_COLUMNS} FROM messages
        WHERE tx > $1::text::xid8 AND tx < h.x AND due_at IS NULL AND key_group = ANY($2::int[])
        ORDER BY messages.tx, messages.seq LIMIT $3::int) AS m ON true`,
  // The rest of one transaction's messages, when a page ended inside it.
  restOfCommit: `SELECT tx::text::bigint, ${MESSAGE_COLUMNS} FROM messages
    WHERE tx = $1::text::xid8 AND seq > $2::bigint AND due_at IS NULL AND key_group = ANY($3::int[]) ORDER BY seq`,
});

type Query = (statement: Named, values: unknown[]) => Promise<Row[]>;

/** How often, and how long, a read waits for commits running in other transactions that hold back the horizon. */
const WAITS = [1, 2, 4, 8, 16];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `Store.loadMessagesSince` on PostgreSQL. A message's position is the id (`xid8`) of the
 * transaction that inserted it, so all messages of a commit share one position, ordered by seq
 * within it. A page returns only commits below the horizon `pg_snapshot_xmin(pg_current_snapshot())`:
 * all of them have ended, and a transaction that commits later has an id at or above the horizon,
 * so it can never land at or below a returned `next`. A commit starting after another committed
 * has a higher id (FIFO). Commits are not serialized at all: this costs them nothing.
 *
 * A page never ends inside a commit (its other messages would share the position): it may hold
 * more than `limit` messages when the last commit has more. A reader whose messages wait behind a
 * commit still running (messages visible above the horizon) waits for it a little, then returns:
 * a long-running transaction anywhere on the server (the horizon is server-wide) delays
 * cluster reads until it ends.
 */
export async function loadMessagesSince(rows: Query, keyGroups: number[], position: number, limit: number): Promise<MessagePage> {
  if (limit <= 0 || keyGroups.length === 0) return { messages: [], next: position };
  const groups = int4Array(keyGroups);
  const messages: StoredMessage[] = [];
  // After a wait, a read goes on from the horizon of the one before: it reads no row twice.
  let from = position;
  for (let attempt = 0; ; attempt++) {
    const want = limit - messages.length;
    const page = await rows(SINCE.messagesSince, [String(from), groups, want]);
    const [horizon, held] = page[0] as [number, boolean];
    const found = page.filter((r) => r[2] !== null);
    for (const r of found) messages.push(toMessage(r, 3));
    if (found.length >= want) {
      const last = found.at(-1)!;
      const tx = last[2] as number;
      for (const r of await rows(SINCE.restOfCommit, [String(tx), last[3], groups])) messages.push(toMessage(r, 1));
      return { messages, next: tx };
    }
    from = Math.max(from, horizon - 1);
    const wait = WAITS[attempt];
    if (held && wait !== undefined) {
      await sleep(wait);
      continue;
    }
    return { messages, next: from };
  }
}
