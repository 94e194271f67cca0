import type { CommitBatch } from "@statefun-ts/runtime/spi";

/**
 * The seqs of ingress messages without an idempotency key that the same batch consumes (an
 * awaited request whose invocation finished before its commit): inserted and deleted in one
 * transaction, such a row would change nothing, so it is neither. Undefined when there is none.
 */
export function passingThrough(ingress: CommitBatch["ingress"], consumed: readonly number[]): Set<number> | undefined {
  if (ingress.length === 0 || consumed.length === 0) return undefined;
  const keyless = new Set<number>();
  for (const m of ingress) if (m.idempotencyKey === undefined) keyless.add(m.seq);
  if (keyless.size === 0) return undefined;
  const passing = new Set<number>();
  for (const seq of consumed) if (keyless.has(seq)) passing.add(seq);
  return passing.size === 0 ? undefined : passing;
}
