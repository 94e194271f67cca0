import { StatefunError, type TypedValue } from "@statefun-ts/protocol";
import { elementName, entryName, keyOfEntry, type ListState, type MapState, sortByName } from "./collections.js";
import type { Effects } from "./effects.js";
import type { ValueState } from "./state.js";
import type { Type } from "./types.js";

/**
 * How an invocation reads the state of its instance: single values by name, and the
 * entries of map and list states by name prefix (`name[`).
 */
export interface StateReader {
  value(name: string): TypedValue | undefined;
  /** The stored values whose names start with `prefix`; absent where map and list states are not supported. */
  entries?(prefix: string): [string, TypedValue][];
}

/** A state's name and type, for decoding what is stored. */
interface Decl<T> {
  readonly name: string;
  readonly type: Type<T>;
}

/** Decodes a stored value, checking it has the declared type. */
function decodeStored<T>(decl: Decl<T>, stored: string, bytes: TypedValue): T {
  if (bytes.typename !== decl.type.typename) {
    throw new StatefunError("STATEFUN_STATE_TYPE", `state ${stored} holds a ${bytes.typename}, but is declared as ${decl.type.typename}`);
  }
  return decl.type.deserialize(bytes.value);
}

/** One state value inside an invocation: reads see this invocation's own writes. */
export class ValueCell<T> implements ValueState<T> {
  private decodedFrom: TypedValue | null | undefined;
  private decoded: T | undefined;

  constructor(
    private readonly decl: Decl<T>,
    private readonly effects: Effects,
    private readonly reader: StateReader,
  ) {}

  get(): T | undefined {
    const name = this.decl.name;
    const bytes = this.effects.state.has(name) ? this.effects.state.get(name) : this.reader.value(name);
    if (bytes === this.decodedFrom && this.decodedFrom !== undefined) return this.decoded;
    const value = bytes ? decodeStored(this.decl, name, bytes) : undefined;
    this.decodedFrom = bytes;
    this.decoded = value;
    return value;
  }

  set(value: T): void {
    this.effects.state.set(this.decl.name, { typename: this.decl.type.typename, value: this.decl.type.serialize(value) });
    // Not cached: the caller may still change `value`; a later get decodes what was stored.
    this.decodedFrom = undefined;
  }

  clear(): void {
    this.effects.state.set(this.decl.name, null);
    this.decodedFrom = null;
    this.decoded = undefined;
  }
}

/** The stored entries under `name[`, this invocation's writes and deletions included, by stored name. */
function currentEntries(name: string, effects: Effects, reader: StateReader): Map<string, TypedValue> {
  if (reader.entries === undefined) {
    throw new StatefunError(
      "STATEFUN_BAD_CONFIG",
      `map and list states (${name}) are for embedded functions: this host cannot list state entries`,
    );
  }
  const prefix = `${name}[`;
  const found = new Map(reader.entries(prefix));
  for (const [stored, value] of effects.state) {
    if (!stored.startsWith(prefix)) continue;
    if (value === null) found.delete(stored);
    else found.set(stored, value);
  }
  return found;
}

/** A map state inside an invocation: each entry is its own stored value `name[key]`. */
export class MapCell<V, K extends string> implements MapState<V, K> {
  constructor(
    private readonly decl: Decl<V>,
    private readonly effects: Effects,
    private readonly reader: StateReader,
  ) {}

  get(key: K): V | undefined {
    const stored = entryName(this.decl.name, key);
    const bytes = this.effects.state.has(stored) ? this.effects.state.get(stored) : this.reader.value(stored);
    return bytes ? decodeStored(this.decl, stored, bytes) : undefined;
  }

  set(key: K, value: V): void {
    if (typeof key !== "string") throw new TypeError(`map state ${this.decl.name}: keys are strings, not ${typeof key}`);
    this.effects.state.set(entryName(this.decl.name, key), { typename: this.decl.type.typename, value: this.decl.type.serialize(value) });
  }

  delete(key: K): void {
    this.effects.state.set(entryName(this.decl.name, key), null);
  }

  has(key: K): boolean {
    return this.get(key) !== undefined;
  }

  keys(): K[] {
    return this.entries().map(([key]) => key);
  }

  entries(): [K, V][] {
    const name = this.decl.name;
    return sortByName([...currentEntries(name, this.effects, this.reader)]).map(([stored, bytes]): [K, V] => [
      keyOfEntry(name, stored) as K,
      decodeStored(this.decl, stored, bytes),
    ]);
  }

  get size(): number {
    return currentEntries(this.decl.name, this.effects, this.reader).size;
  }

  clear(): void {
    for (const stored of currentEntries(this.decl.name, this.effects, this.reader).keys()) this.effects.state.set(stored, null);
  }
}

/** An append-only list inside an invocation: element i is its own stored value `name[<i, 12 digits>]`. */
export class ListCell<V> implements ListState<V> {
  /** The index of the next append, once known (appends of one invocation then cost no listing). */
  private next: number | undefined;

  constructor(
    private readonly decl: Decl<V>,
    private readonly effects: Effects,
    private readonly reader: StateReader,
  ) {}

  /** Stored elements sorted by index (the zero-padded names sort as the indices do). */
  private stored(): [string, TypedValue][] {
    return sortByName([...currentEntries(this.decl.name, this.effects, this.reader)]);
  }

  append(value: V): void {
    if (this.next === undefined) {
      const last = this.stored().at(-1);
      // After the oldest elements expired, indices go on from the newest one.
      this.next = last === undefined ? 0 : Number(keyOfEntry(this.decl.name, last[0])) + 1;
    }
    const bytes = { typename: this.decl.type.typename, value: this.decl.type.serialize(value) };
    this.effects.state.set(elementName(this.decl.name, this.next), bytes);
    this.next++;
  }

  values(): V[] {
    return this.stored().map(([stored, bytes]) => decodeStored(this.decl, stored, bytes));
  }

  get length(): number {
    return this.stored().length;
  }

  clear(): void {
    for (const [stored] of this.stored()) this.effects.state.set(stored, null);
    this.next = 0;
  }

  [Symbol.iterator](): Iterator<V> {
    return this.values()[Symbol.iterator]();
  }
}
