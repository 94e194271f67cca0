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
  | { readonly kind: "source-position"; readonly source: string; readonly partition: string; readonly position: number };

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
];

/** Rows of each kind. */
export type SnapshotCounts = Record<SnapshotKind, number>;

export function zeroCounts(): SnapshotCounts {
  return Object.fromEntries(SNAPSHOT_KINDS.map((kind) => [kind, 0])) as SnapshotCounts;
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
  /** Rows of each kind (`registry-version` counts 1 when the module catalog was ever changed). */
  snapshotCounts(): Promise<SnapshotCounts>;
  loadSnapshot(records: AsyncIterable<SnapshotRecord>, options?: LoadOptions): Promise<SnapshotCounts>;
}
