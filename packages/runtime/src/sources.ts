import { type Address, checkAddress, keyGroupOf, StatefunError, type TypedValue } from "@statefun-ts/protocol";
import type { CommitUnit, NewMessage } from "./engine/commit-unit.js";
import { unit } from "./engine/commit-unit.js";
import type { SourceAdvance } from "./store/source-positions.js";
import type { DeadLetter, StoredMessage } from "./store/types.js";

/**
 * The seam for ingress sources that keep their own read position in the store (a Kafka consumer):
 * each `advance` turns records of one partition into messages and commits them through the commit
 * pipeline in the same store transaction as the partition's new position, conditional on the old
 * one (see `SourceAdvance`). So a record becomes its messages exactly once, across crashes,
 * restarts and two workers briefly reading one partition: the source seeks to `positions()` on
 * start and on every assignment, and a rejected advance tells it to seek again.
 *
 * @example
 * const sink = runtime.sources();
 * const from = (await sink.positions("kafka:orders")).get("orders/0") ?? null;
 * await sink.advance({ source: "kafka:orders", partition: "orders/0", from, to: 42, messages, deadLetters: [] });
 */
export interface SourceSink {
  /** The stored positions of `source`, by partition. */
  positions(source: string): Promise<Map<string, number>>;
  /** Commits messages with the partition's position: `"rejected"` when the stored position was no longer `from`. */
  advance(records: SourceRecords): Promise<"committed" | "rejected">;
  /** True while the runtime has more work waiting than it wants: sources should pause reading. */
  overloaded(): boolean;
}

/** Records of one partition read from `from` (the stored position; `null` when none) up to `to` (excluded). */
export interface SourceRecords {
  readonly source: string;
  readonly partition: string;
  readonly from: number | null;
  readonly to: number;
  readonly messages: readonly { readonly target: Address; readonly argument: TypedValue }[];
  /** Records that cannot become messages, dead-lettered with `error` under a `target` that names where they came from. */
  readonly deadLetters: readonly { readonly target: Address; readonly argument: TypedValue; readonly error: string }[];
}

/** A source advance inside a commit unit: its messages get seqs when the batch forms. */
export interface SourcePart extends Omit<SourceAdvance, "messages"> {
  readonly messages: NewMessage[];
  readonly rejected?: (() => void) | undefined;
}

/** What `sourceSink` needs of the runtime. */
export interface SourceSinkParts {
  /** The stored positions of a source, by partition (see `SourceSink.positions`). */
  readonly positions: (source: string) => Promise<Map<string, number>>;
  readonly keyGroups: () => number;
  /** Enqueues the unit of an advance (the engine may hand its messages over before its commit, see `EarlySources`). */
  readonly enqueue: (unit: CommitUnit & { readonly source: SourcePart }) => void;
  readonly running: () => boolean;
  readonly overloaded: () => boolean;
  readonly now: () => number;
}

export function sourceSink(parts: SourceSinkParts): SourceSink {
  return {
    positions: parts.positions,
    overloaded: parts.overloaded,
    advance(records) {
      if (!parts.running()) return Promise.reject(new StatefunError("STATEFUN_CLOSED", "the runtime is not running", { terminal: false }));
      const keyGroups = parts.keyGroups();
      const now = parts.now();
      const messages: NewMessage[] = records.messages.map((m) => {
        const target = checkAddress(m.target, records.source);
        return { seq: 0, keyGroup: keyGroupOf(target.id, keyGroups), target, argument: m.argument };
      });
      const deadLetters: Omit<DeadLetter, "id">[] = records.deadLetters.map((d) => ({
        message: { seq: 0, keyGroup: keyGroupOf(d.target.id, keyGroups), target: d.target, argument: d.argument },
        error: d.error,
        attempts: 0,
        failedAt: now,
      }));
      return new Promise((resolve, reject) => {
        let rejected = false;
        const source: SourcePart = {
          source: records.source,
          partition: records.partition,
          from: records.from,
          to: records.to,
          messages,
          deadLetters,
          rejected: () => {
            rejected = true;
          },
        };
        parts.enqueue({ ...unit({ committed: () => resolve(rejected ? "rejected" : "committed"), failed: reject }), source });
      });
    },
  };
}

/** Committer side: puts a unit's source advance into the batch, giving its messages seqs from `seq`; returns the next seq. */
export function addSource(
  sources: SourceAdvance[],
  part: SourcePart,
  seq: number,
  mine: StoredMessage[],
  sourceOf: Map<number, number>,
  unitIndex: number,
): number {
  let next = seq;
  for (const m of part.messages) {
    m.seq = next++;
    mine.push(m);
  }
  sourceOf.set(unitIndex, sources.length);
  const { rejected: _, ...advance } = part;
  sources.push(advance);
  return next;
}
