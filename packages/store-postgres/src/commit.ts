import { StatefunError } from "@statefun-ts/protocol";
import type { CommitBatch, CommitResult, IngressMessage } from "@statefun-ts/runtime/spi";
import type { PoolClient } from "pg";
import { textArray } from "./arrays.js";
import { type CommitStatement, commitStatement, FENCED_SQLSTATE } from "./commit-sql.js";
import { dropStatements } from "./drops.js";
import { advanceSources } from "./source-positions.js";
import { SQL } from "./statements.js";

const INT4_MAX = 2 ** 31 - 1;

/** A touched key group that cannot have a lease row at all (not an int4): fenced before asking the database. */
function checkKeyGroups(batch: CommitBatch): void {
  for (const keyGroup of batch.touchedKeyGroups) {
    if (Number.isInteger(keyGroup) && keyGroup >= 0 && keyGroup <= INT4_MAX) continue;
    throw new StatefunError(
      "STATEFUN_FENCED",
      `commit fenced: key group ${keyGroup} is held by no one, not by ${batch.fence.owner} at epoch ${String(batch.fence.epochs.get(keyGroup))}`,
    );
  }
}

/** Drops the ingress messages whose key an earlier message of the batch has: the first one wins. */
function firstOfEachKey(batch: CommitBatch, duplicates: Map<string, string>): IngressMessage[] {
  const first = new Map<string, string>();
  const admitted: IngressMessage[] = [];
  for (const m of batch.ingress) {
    const key = m.idempotencyKey;
    if (key !== undefined) {
      const requestId = first.get(key);
      if (requestId !== undefined) {
        duplicates.set(key, requestId);
        continue;
      }
      first.set(key, m.requestId);
    }
    admitted.push(m);
  }
  return admitted;
}

/** Fence check, idempotency key and its first request id, and (with cancellations) the delayed messages they deleted. */
type CommitRow = [number, string | null, string | null, number?];

/**
 * Runs a batch with drops or source advances as a transaction of several statements: drops first
 * (one statement cannot both delete and write a row: its parts all see the snapshot from before
 * it), then the conditional source positions (`advanceSources`), then the main statement. The main
 * statement's fence check raises if the fence does not hold, which rolls the rest back too; once
 * checked, the share lock on the leases holds until the end.
 */
async function inTransaction(
  client: PoolClient,
  input: CommitBatch,
  prepare: (batch: CommitBatch) => CommitStatement,
): Promise<{ rows: CommitRow[]; statement: CommitStatement; rejected: Set<number> | undefined }> {
  await client.query("BEGIN");
  try {
    for (const drop of dropStatements(input.drops ?? [])) await client.query(drop);
    const { batch, rejected } =
      (input.sources ?? []).length > 0 ? await advanceSources(client, input) : { batch: input, rejected: undefined };
    const statement = prepare(batch);
    const { rows } = await client.query<CommitRow>({ ...statement, rowMode: "array" });
    await client.query("COMMIT");
    return { rows, statement, rejected };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}

/**
 * Commits a batch as one statement (see `commitStatement`): one round trip, one transaction,
 * durable when it returns. A fence that does not hold raises in the database, aborting all of it.
 * A batch with drops (expired state, rare) or source advances is a transaction of several statements (`inTransaction`).
 */
export async function commitBatch(client: PoolClient, batch: CommitBatch, channel: string): Promise<CommitResult> {
  checkKeyGroups(batch);
  const duplicates = new Map<string, string>();
  const prepare = (b: CommitBatch) => commitStatement(b, firstOfEachKey(b, duplicates), channel);
  let rows: CommitRow[];
  let statement: CommitStatement;
  let rejectedSources: Set<number> | undefined;
  try {
    if ((batch.drops ?? []).length > 0 || (batch.sources ?? []).length > 0) {
      ({ rows, statement, rejected: rejectedSources } = await inTransaction(client, batch, prepare));
    } else {
      statement = prepare(batch);
      ({ rows } = await client.query<CommitRow>({ ...statement, rowMode: "array" }));
    }
  } catch (error) {
    if ((error as { code?: unknown }).code === FENCED_SQLSTATE) {
      throw new StatefunError("STATEFUN_FENCED", (error as Error).message, { cause: error });
    }
    throw error;
  }
  const recorded = new Set<string>();
  for (const [, key, requestId] of rows) {
    if (key === null) continue;
    if (requestId === null) recorded.add(key);
    else duplicates.set(key, requestId);
  }
  // A key another transaction recorded while this one ran is neither recorded here nor known to
  // this statement's snapshot: its message was not inserted; its request id is committed by now.
  const racing = [...statement.keys.keys()].filter((key) => !recorded.has(key) && !duplicates.has(key));
  if (racing.length > 0) {
    const known = await client.query<[string, string]>({ ...SQL.requestIdsOf, rowMode: "array", values: [textArray(racing)] });
    for (const [key, requestId] of known.rows) duplicates.set(key, requestId);
  }
  if (batch.cancelTokens.length === 0) return { duplicates, rejectedSources };
  return { duplicates, rejectedSources, cancelled: rows[0]?.[3] ?? 0 };
}
