import type { Address, TypedValue } from "@statefun-ts/protocol";
import {
  type CommitBatch,
  type Fence,
  INSTANCE_ROW,
  INSTANCE_ROW_TYPE,
  type IngressMessage,
  type StateEntry,
  type StateWrite,
  type Store,
  type StoredMessage,
} from "@statefun-ts/runtime/spi";

/** What a store implementation gives the conformance suite. */
export interface StoreHarness {
  /** A new store over empty data, not opened yet. */
  readonly store: Store;
  /** Closes the store handed out last and returns a new one over the same data, not opened yet. */
  reopen(options?: { keyGroups?: number }): Promise<Store>;
  /** Closes the store handed out last (if open) and deletes its data. */
  cleanup(): Promise<void>;
}

/** Makes a harness; `keyGroups` is the K of the store to create. */
export type MakeStore = (options?: { keyGroups?: number }) => Promise<StoreHarness>;

const utf8 = new TextEncoder();

export function text(s: string, typename = "test.types/text"): TypedValue {
  return { typename, value: utf8.encode(s) };
}

export function bytes(values: readonly number[], typename = "test.types/bytes"): TypedValue {
  return { typename, value: new Uint8Array(values) };
}

export function addr(id: string, type = "counter", namespace = "test.fns"): Address {
  return { namespace, type, id };
}

export function message(seq: number, keyGroup: number, extra: Partial<StoredMessage> = {}): StoredMessage {
  return { seq, keyGroup, target: addr(`id-${seq}`), argument: text(`m${seq}`), ...extra };
}

export function ingress(seq: number, keyGroup: number, requestId: string, extra: Partial<IngressMessage> = {}): IngressMessage {
  return { ...message(seq, keyGroup), requestId, ...extra };
}

/** A commit batch with empty parts; `touchedKeyGroups` defaults to every key group the fence holds. */
export function batch(fence: Fence, parts: Partial<CommitBatch> = {}): CommitBatch {
  return {
    now: 1_000,
    fence,
    touchedKeyGroups: new Set(fence.epochs.keys()),
    ingress: [],
    consumed: [],
    cancelTokens: [],
    messages: [],
    state: [],
    egress: [],
    replies: [],
    deadLetters: [],
    replayed: [],
    ...parts,
  };
}

export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Every immediate message and timer of the store, for whole-store comparisons. */
export async function everything(store: Store, keyGroups: number): Promise<{ messages: StoredMessage[]; timers: StoredMessage[] }> {
  const all = range(keyGroups);
  return {
    messages: await store.loadMessages(all, 0, 1_000_000),
    timers: await store.loadTimers(all, undefined, Number.MAX_SAFE_INTEGER, 1_000_000),
  };
}

/** The state of an address sorted by name (`loadState` promises no order). */
export async function stateOf(store: Store, address: Address): Promise<StateEntry[]> {
  return (await store.loadState(address)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The seqs of `messages`, in order. */
export const seqs = (messages: readonly StoredMessage[]): number[] => messages.map((m) => m.seq);

/** The value of an instance row (`INSTANCE_ROW`). */
export const instanceMarker = { typename: INSTANCE_ROW_TYPE, value: new Uint8Array(0) };

/** A write of state `name` of `addr(id)` (the instance row's marker when `name` is `INSTANCE_ROW`). */
export function stateWrite(id: string, name: string, expiresAt?: number, keyGroup = 1): StateWrite {
  return { address: addr(id), keyGroup, name, value: name === INSTANCE_ROW ? instanceMarker : text(`${id}.${name}`), expiresAt };
}
