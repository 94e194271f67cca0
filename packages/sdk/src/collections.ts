import type { ValueSpecOptions } from "./state.js";
import { type Expiration, expirationOf } from "./state.js";
import type { Type } from "./types.js";

/**
 * A declared map state: entries of type `V` under string keys `K`. Each entry is stored on
 * its own (as the state value `name[key]`), so an invocation reads, writes and commits only
 * the entries it touches, and each entry expires on its own. For embedded functions.
 *
 * @example
 * const stock = mapSpec("stock", Types.int);
 * ctx.state.stock.set("socks", 3);
 */
export interface MapSpec<V, K extends string = string> {
  readonly kind: "map";
  readonly name: string;
  /** The type of the values. */
  readonly type: Type<V>;
  readonly expiration: Expiration;
  /** Phantom marker of the key type; never set at run time. */
  readonly __keys?: K;
}

/**
 * A declared append-only list state: elements of type `V`, each stored on its own (as the
 * state value `name[000000000000]`, `name[000000000001]`, …) and expiring on its own.
 * For embedded functions.
 *
 * @example
 * const history = listSpec("history", Types.string, { expireAfterWrite: "7d" });
 * ctx.state.history.append("logged in");
 */
export interface ListSpec<V> {
  readonly kind: "list";
  readonly name: string;
  /** The type of the elements. */
  readonly type: Type<V>;
  readonly expiration: Expiration;
}

/**
 * Declares a map state. Keys are strings (narrow them with `K`); values have `type`.
 *
 * @example
 * const scores = mapSpec<number, "alice" | "bob">("scores", Types.int, { expireAfterCall: "1h" });
 */
export function mapSpec<V, K extends string = string>(name: string, type: Type<V>, options: ValueSpecOptions = {}): MapSpec<V, K> {
  return { kind: "map", name, type, expiration: expirationOf(name, options) };
}

/**
 * Declares an append-only list state.
 *
 * @example
 * const events = listSpec("events", EventType);
 */
export function listSpec<V>(name: string, type: Type<V>, options: ValueSpecOptions = {}): ListSpec<V> {
  return { kind: "list", name, type, expiration: expirationOf(name, options) };
}

/**
 * Typed access to a map state inside an invocation; reads see this invocation's own writes.
 *
 * @example
 * const cart: MapState<number> = ctx.state.cart;
 * cart.set("socks", (cart.get("socks") ?? 0) + 1);
 * for (const [item, quantity] of cart.entries()) console.log(item, quantity);
 */
export interface MapState<V, K extends string = string> {
  get(key: K): V | undefined;
  set(key: K, value: V): void;
  delete(key: K): void;
  has(key: K): boolean;
  /** The keys, sorted. */
  keys(): K[];
  /** The entries, sorted by key. */
  entries(): [K, V][];
  /** Number of entries. */
  readonly size: number;
  /** Deletes every entry. */
  clear(): void;
}

/**
 * Typed access to an append-only list state inside an invocation.
 *
 * @example
 * ctx.state.history.append("logged in");
 * for (const event of ctx.state.history) console.log(event);
 * if (ctx.state.history.length > 100) ctx.state.history.clear();
 */
export interface ListState<V> extends Iterable<V> {
  append(value: V): void;
  /** Every element, oldest first. */
  values(): V[];
  readonly length: number;
  /** Deletes every element. */
  clear(): void;
}

/** Stored name of a map entry or list element: `name[key]`. */
export function entryName(name: string, key: string): string {
  return `${name}[${key}]`;
}

/** Stored name of the list element at `index`: the index zero-padded to 12 digits. */
export function elementName(name: string, index: number): string {
  return entryName(name, String(index).padStart(12, "0"));
}

/** The state spec name a stored name belongs to: `cart` for `cart[socks]`, the name itself otherwise. */
export function specNameOf(storedName: string): string {
  const bracket = storedName.indexOf("[");
  return bracket < 0 ? storedName : storedName.slice(0, bracket);
}

/**
 * The key in a stored entry name of map or list state `name` (`name[key]` gives `key`).
 *
 * @example
 * keyOfEntry("seen", entryName("seen", "alice")); // "alice"
 */
export function keyOfEntry(name: string, storedName: string): string {
  return storedName.slice(name.length + 1, -1);
}

/**
 * Sorts stored entries by name, in place: map entries by key, list elements oldest first
 * (their zero-padded indices sort as the numbers do).
 *
 * @example
 * sortByName([["seen[b]", 2], ["seen[a]", 1]]); // [["seen[a]", 1], ["seen[b]", 2]]
 */
export function sortByName<T>(entries: [string, T][]): [string, T][] {
  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
