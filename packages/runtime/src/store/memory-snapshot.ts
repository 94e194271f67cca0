import { type Address, addressKey, StatefunError } from "@statefun-ts/protocol";
import type { StateSpecInfo } from "../binding.js";
import { holdsRows, type LoadOptions, type NextIdOf, type SnapshotCounts, type SnapshotRecord, zeroCounts } from "./snapshot.js";
import type { DeadLetter, EgressRow, ModuleCatalogEntry, ReplyRow, StateEntry, StoredMessage } from "./types.js";

/** The tables of a `MemoryStore`, as its snapshot reads and loads them. */
export interface MemoryTables {
  readonly messages: Map<number, StoredMessage>;
  readonly state: Map<string, { readonly address: Address; keyGroup: number; readonly values: Map<string, StateEntry> }>;
  readonly egress: Map<number, EgressRow>;
  readonly replies: Map<string, ReplyRow & { createdAt: number }>;
  readonly keys: Map<string, { requestId: string; createdAt: number; fingerprint?: string | undefined }>;
  readonly dead: Map<number, DeadLetter>;
  readonly specs: Map<string, Map<string, StateSpecInfo>>;
  readonly catalog: Map<string, ModuleCatalogEntry>;
  readonly parked: Map<string, number>;
  /** Keyed `{source}\u0000{partition}` (see `MemoryStore.loadSourcePositions`). */
  readonly sourcePositions: Map<string, number>;
  readonly moduleCatalogVersion: number;
  /** The next id of each kind of row whose ids are never given twice. */
  readonly nextIds: Readonly<Record<NextIdOf, number>>;
}

/** Compares strings by their UTF-8 bytes, the order of the durable stores' keys. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function byKeys<T>(keys: (item: T) => readonly string[]): (a: T, b: T) => number {
  return (a, b) => {
    const [x, y] = [keys(a), keys(b)];
    for (let i = 0; i < x.length; i++) {
      const order = byteOrder(x[i]!, y[i]!);
      if (order !== 0) return order;
    }
    return 0;
  };
}

/** Every row, in the order of `SnapshotStore.readSnapshot` (the store is in memory: no paging needed). */
export function* readMemorySnapshot(t: MemoryTables): Generator<SnapshotRecord> {
  yield { kind: "registry-version", version: t.moduleCatalogVersion };
  for (const entry of [...t.catalog.values()].sort(byKeys((e) => [e.kind, e.name]))) yield { kind: "registry", entry };
  const specs = [...t.specs].flatMap(([functionType, m]) => [...m.values()].map((spec) => ({ functionType, spec })));
  for (const s of specs.sort(byKeys((s) => [s.functionType, s.spec.name]))) yield { kind: "state-spec", ...s };
  for (const [functionType, since] of [...t.parked].sort(byKeys(([f]) => [f]))) yield { kind: "parked", functionType, since };
  const instances = [...t.state.values()].sort(byKeys((i) => [i.address.namespace, i.address.type, i.address.id]));
  for (const { address, keyGroup, values } of instances) {
    for (const e of [...values.values()].sort(byKeys((e) => [e.name]))) {
      yield {
        kind: "state",
        address,
        keyGroup,
        name: e.name,
        value: e.value,
        ...(e.expiresAt === undefined ? {} : { expiresAt: e.expiresAt }),
      };
    }
  }
  for (const message of [...t.messages.values()].sort((a, b) => a.seq - b.seq)) yield { kind: "message", message };
  for (const row of [...t.egress.values()].sort((a, b) => a.id - b.id)) yield { kind: "egress", row };
  for (const letter of [...t.dead.values()].sort((a, b) => a.id - b.id)) yield { kind: "dead-letter", letter };
  for (const r of [...t.replies.values()].sort(byKeys((r) => [r.requestId]))) {
    yield { kind: "reply", requestId: r.requestId, argument: r.argument, createdAt: r.createdAt };
  }
  for (const [key, k] of [...t.keys].sort(byKeys(([key]) => [key]))) {
    yield {
      kind: "idempotency-key",
      key,
      requestId: k.requestId,
      createdAt: k.createdAt,
      ...(k.fingerprint === undefined ? {} : { fingerprint: k.fingerprint }),
    };
  }
  const positions = [...t.sourcePositions].map(([key, position]) => {
    const [source, partition] = splitSourceKey(key);
    return { source, partition, position };
  });
  for (const p of positions.sort(byKeys((p) => [p.source, p.partition]))) yield { kind: "source-position", ...p };
  yield { kind: "next-id", of: "dead-letter", next: t.nextIds["dead-letter"] };
  yield { kind: "next-id", of: "egress", next: t.nextIds.egress };
}

function sourceKey(source: string, partition: string): string {
  return `${source}\u0000${partition}`;
}

function splitSourceKey(key: string): [string, string] {
  const at = key.indexOf("\u0000");
  return [key.slice(0, at), key.slice(at + 1)];
}

export function memoryCounts(t: MemoryTables): SnapshotCounts {
  const counts = zeroCounts();
  for (const record of readMemorySnapshot(t)) counts[record.kind]++;
  return counts;
}

/** What a load changed of the store's counters. */
export interface MemoryLoad {
  readonly counts: SnapshotCounts;
  readonly moduleCatalogVersion: number;
}

/**
 * Loads records into the tables; rows are collected first and applied only when the iterable
 * ended without throwing (nothing is written otherwise). Merge semantics as `LoadOptions` says.
 */
export async function loadMemorySnapshot(
  t: MemoryTables,
  records: AsyncIterable<SnapshotRecord>,
  options: LoadOptions & { readonly ids: { seq: number; egress: number; dead: number } },
): Promise<MemoryLoad> {
  const merge = options.merge === true;
  const before = memoryCounts(t);
  if (!merge && holdsRows(before)) {
    throw new StatefunError("STATEFUN_BAD_CONFIG", "the memory store is not empty: import into a new store, or merge");
  }
  const collected: SnapshotRecord[] = [];
  for await (const record of records) collected.push(record);
  const counts = zeroCounts();
  const seqOffset = merge ? options.ids.seq - 1 : 0;
  let moduleCatalogVersion = t.moduleCatalogVersion;
  for (const record of collected) {
    counts[record.kind]++;
    switch (record.kind) {
      case "registry-version":
        moduleCatalogVersion = merge ? moduleCatalogVersion + 1 : record.version;
        break;
      case "registry":
        t.catalog.set(`${record.entry.kind}\u0000${record.entry.name}`, record.entry);
        break;
      case "state-spec": {
        let specs = t.specs.get(record.functionType);
        if (specs === undefined) {
          specs = new Map();
          t.specs.set(record.functionType, specs);
        }
        specs.set(record.spec.name, record.spec);
        break;
      }
      case "parked":
        t.parked.set(record.functionType, record.since);
        break;
      case "state": {
        const key = addressKey(record.address);
        let instance = t.state.get(key);
        if (instance === undefined) {
          instance = { address: record.address, keyGroup: record.keyGroup, values: new Map() };
          t.state.set(key, instance);
        }
        instance.values.set(record.name, { name: record.name, value: record.value, expiresAt: record.expiresAt });
        break;
      }
      case "message": {
        const message = { ...record.message, seq: record.message.seq + seqOffset };
        t.messages.set(message.seq, message);
        options.ids.seq = Math.max(options.ids.seq, message.seq + 1);
        break;
      }
      case "egress": {
        const id = merge ? options.ids.egress : record.row.id;
        t.egress.set(id, { ...record.row, id });
        options.ids.egress = Math.max(options.ids.egress, id + 1);
        break;
      }
      case "dead-letter": {
        const id = merge ? options.ids.dead : record.letter.id;
        const message = { ...record.letter.message, seq: record.letter.message.seq + seqOffset };
        t.dead.set(id, { ...record.letter, id, message });
        options.ids.dead = Math.max(options.ids.dead, id + 1);
        options.ids.seq = Math.max(options.ids.seq, message.seq + 1);
        break;
      }
      case "reply":
        t.replies.set(record.requestId, { requestId: record.requestId, argument: record.argument, createdAt: record.createdAt });
        break;
      case "idempotency-key":
        t.keys.set(record.key, { requestId: record.requestId, createdAt: record.createdAt, fingerprint: record.fingerprint });
        break;
      case "source-position":
        t.sourcePositions.set(sourceKey(record.source, record.partition), record.position);
        break;
      case "next-id":
        if (record.of === "egress") options.ids.egress = Math.max(options.ids.egress, record.next);
        else options.ids.dead = Math.max(options.ids.dead, record.next);
        break;
    }
  }
  return { counts, moduleCatalogVersion };
}
