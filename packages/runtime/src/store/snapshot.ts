import type { Address, TypedValue } from "@statefun-ts/protocol";
import type { StateSpecInfo } from "../binding.js";
import type { DeadLetter, EgressRow, ModuleCatalogEntry, StoredMessage } from "./types.js";

/**
 * One row of everything a store holds, as `SnapshotStore.readSnapshot` streams it and
 * `SnapshotStore.loadSnapshot` takes it back. Cluster bookkeeping (leases, members, egress claims,
 * commit positions) is not part of a snapshot: it belongs to the workers of one store.
 * The module catalog's records keep the kinds `registry-version` and `registry`: the kinds are
 * the export file format (docs/export-format.md), which stays as it is.
 */
export type SnapshotRecord =
  | { readonly kind: "registry-version"; readonly version: number }
  | { readonly kind: "registry"; readonly entry: ModuleCatalogEntry }
  | { readonly kind: "state-spec"; readonly functionType: string; readonly spec: StateSpecInfo }
  | { readonly kind: "parked"; readonly functionType: string; readonly since: number }
  | {
      readonly kind: "state";
      readonly address: Address;
      readonly keyGroup: number;
      readonly name: string;
      readonly value: TypedValue;
      readonly expiresAt?: number | undefined;
    }
  /** Waiting and delayed messages, in `seq` order. */
  | { readonly kind: "message"; readonly message: StoredMessage }
  /** Egress records in `id` order (the order a topic is read in). */
  | { readonly kind: "egress"; readonly row: EgressRow }
  | { readonly kind: "dead-letter"; readonly letter: DeadLetter }
  | { readonly kind: "reply"; readonly requestId: string; readonly argument: TypedValue; readonly createdAt: number }
  | {
      readonly kind: "idempotency-key";
      readonly key: string;
      readonly requestId: string;
      readonly createdAt: number;
      /** What the request was (see `IngressMessage.fingerprint`); absent for a key stored without one. */
      readonly fingerprint?: string | undefined;
    }
  /**
   * Where an ingress source reads next in one of its partitions (`SourcePositions`; also the Kafka
   * egress's outbox identity, source `kafka-egress`, partition `outbox`): without it a store moved
   * elsewhere would read its sources again.
   */
  | { readonly kind: "source-position"; readonly source: string; readonly partition: string; readonly position: number }
  /**
   * The next id the store gives a row of `of`: ids already given (egress records delivered, dead
   * letters replayed) are never given again, wherever the store moves, so a consumer that
   * remembers record ids (`Statefun-Record-Id`) never takes a new record for one it has seen.
   */
  | { readonly kind: "next-id"; readonly of: NextIdOf; readonly next: number };

/** The rows whose ids a store never gives twice, in byte order (the order of their `next-id` records). */
export const NEXT_ID_OF = ["dead-letter", "egress"] as const;
export type NextIdOf = (typeof NEXT_ID_OF)[number];

export type SnapshotKind = SnapshotRecord["kind"];

/** Every kind, in the order a snapshot streams them (the order of the export file). */
export const SNAPSHOT_KINDS: readonly SnapshotKind[] = [
  "registry-version",
  "registry",
  "state-spec",
  "parked",
  "state",
  "message",
  "egress",
  "dead-letter",
  "reply",
  "idempotency-key",
  "source-position",
  "next-id",
];

/** Rows of each kind. */
export type SnapshotCounts = Record<SnapshotKind, number>;

export function zeroCounts(): SnapshotCounts {
  return Object.fromEntries(SNAPSHOT_KINDS.map((kind) => [kind, 0])) as SnapshotCounts;
}

/** Kinds every store has whether it holds rows or not: one `registry-version`, one `next-id` per `NEXT_ID_OF`. */
const BOOKKEEPING: ReadonlySet<SnapshotKind> = new Set(["registry-version", "next-id"]);

/** True when counts show rows (a store that is not new): bookkeeping records do not count. */
export function holdsRows(counts: SnapshotCounts): boolean {
  return Object.entries(counts).some(([kind, n]) => !BOOKKEEPING.has(kind as SnapshotKind) && n > 0);
}

export interface LoadOptions {
  /**
   * Load into a store that holds data already: keyed rows (state, module catalog entries, specs, parked types,
   * replies, idempotency keys, source positions) are overwritten; messages get new seqs after the store's own (in
   * their order); egress records and dead letters get new ids. Without it a store that is not
   * empty is refused (`STATEFUN_BAD_CONFIG`) and nothing is written.
   */
  readonly merge?: boolean | undefined;
}

/**
 * Dumping and loading a whole store (export, import, migration). `readSnapshot` streams every
 * row of one consistent snapshot (one read transaction) in pages of `pageSize`, so memory stays
 * constant whatever the store's size; rows come kind by kind in `SNAPSHOT_KINDS` order, each kind in
 * the byte order of its key, so two stores holding the same rows stream the same records.
 *
 * `loadSnapshot` writes the records in ONE transaction: if the iterable throws (a bad file, a
 * checksum that does not match at its end), nothing is written.
 */
export interface SnapshotStore {
  readSnapshot(pageSize?: number): AsyncIterable<SnapshotRecord>;
  /** Rows of each kind (`registry-version` counts 1, `next-id` counts one per `NEXT_ID_OF`). */
  snapshotCounts(): Promise<SnapshotCounts>;
  loadSnapshot(records: AsyncIterable<SnapshotRecord>, options?: LoadOptions): Promise<SnapshotCounts>;
}
