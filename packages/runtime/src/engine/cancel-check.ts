import type { Clock } from "../clock.js";
import type { Logger } from "../observe.js";
import type { Store, StoredMessage } from "../store/types.js";

/** Rows read per page when checking. */
const PAGE = 10_000;
/** Wait before checking again after the store failed to answer. */
const RETRY_MS = 200;

export interface CancelCheckOptions {
  readonly store: Store;
  /** Fires a message still stored. */
  readonly fire: (message: StoredMessage) => void;
  /** Whether the message may still fire here (its key group still owned, the engine that holds it still running). */
  readonly active: (message: StoredMessage) => boolean;
  /** A message found cancelled (or consumed elsewhere): forget it. */
  readonly dropped: (message: StoredMessage) => void;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * Cluster mode: a delayed message with a cancellation token may have been cancelled by an
 * invocation on another worker. That commit deleted it from the store, but the owner of its
 * target still holds it in memory. So before such messages fire, one read (per group of messages
 * due together) checks which are still stored, and only those fire; the others are dropped. A
 * cancellation committed after that read, at the due time itself, comes too late, as in StateFun.
 * Messages without a token cannot be cancelled and fire at once.
 */
export function cancelChecked(options: CancelCheckOptions): (message: StoredMessage) => void {
  const { store, fire, active, dropped, clock, logger } = options;
  let pending: StoredMessage[] = [];
  let scheduled = false;

  const check = async (): Promise<void> => {
    const batch = pending.filter(active);
    pending = [];
    scheduled = false;
    if (batch.length === 0) return;
    let stored: Set<number>;
    try {
      stored = await storedSeqs(store, batch);
    } catch (error) {
      logger.warn({ error: String(error) }, "checking delayed messages for cancellations failed; trying again");
      clock.setTimeout(() => {
        for (const m of batch) enqueue(m);
      }, RETRY_MS);
      return;
    }
    for (const m of batch) {
      if (!active(m)) continue;
      if (stored.has(m.seq)) fire(m);
      else dropped(m);
    }
  };

  const enqueue = (message: StoredMessage): void => {
    pending.push(message);
    if (scheduled) return;
    scheduled = true;
    queueMicrotask(() => void check());
  };

  return (message) => {
    if (message.cancellationToken === undefined) fire(message);
    else enqueue(message);
  };
}

/** The seqs of `messages` still stored as delayed messages. */
async function storedSeqs(store: Store, messages: readonly StoredMessage[]): Promise<Set<number>> {
  const keyGroups = [...new Set(messages.map((m) => m.keyGroup))];
  const until = Math.max(...messages.map((m) => m.dueAt ?? 0));
  const wanted = new Set(messages.map((m) => m.seq));
  const stored = new Set<number>();
  // Read from just before the earliest of them, not from the start of the key groups.
  const first = messages.reduce((a, b) => ((b.dueAt ?? 0) < (a.dueAt ?? 0) || (b.dueAt === a.dueAt && b.seq < a.seq) ? b : a));
  let after: { dueAt: number; seq: number } | undefined = { dueAt: first.dueAt ?? 0, seq: first.seq - 1 };
  for (;;) {
    const rows = await store.loadTimers(keyGroups, after, until, PAGE);
    for (const row of rows) if (wanted.has(row.seq)) stored.add(row.seq);
    const last = rows.at(-1);
    if (rows.length < PAGE || last === undefined || stored.size === wanted.size) return stored;
    after = { dueAt: last.dueAt ?? until, seq: last.seq };
  }
}
