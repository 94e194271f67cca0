import type { Address } from "@statefun-ts/protocol";

/** A map keyed by address, nested by namespace, type and id: no key string is built per lookup. */
export class AddressMap<V> {
  private readonly byNamespace = new Map<string, Map<string, Map<string, V>>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The ids of the type looked up last (most lookups in a row are of one type): one lookup instead of three. */
  private lastNamespace: string | undefined;
  private lastType: string | undefined;
  private lastIds: Map<string, V> | undefined;

  get(a: Address): V | undefined {
    if (a.type === this.lastType && a.namespace === this.lastNamespace) return this.lastIds!.get(a.id);
    const ids = this.byNamespace.get(a.namespace)?.get(a.type);
    if (ids === undefined) return undefined;
    this.lastNamespace = a.namespace;
    this.lastType = a.type;
    this.lastIds = ids;
    return ids.get(a.id);
  }

  set(a: Address, value: V): void {
    let types = this.byNamespace.get(a.namespace);
    if (types === undefined) {
      types = new Map();
      this.byNamespace.set(a.namespace, types);
    }
    let ids = types.get(a.type);
    if (ids === undefined) {
      ids = new Map();
      types.set(a.type, ids);
    }
    if (!ids.has(a.id)) this.count++;
    ids.set(a.id, value);
  }

  delete(a: Address): boolean {
    const types = this.byNamespace.get(a.namespace);
    const ids = types?.get(a.type);
    if (ids === undefined || !ids.delete(a.id)) return false;
    this.count--;
    if (ids.size === 0) {
      types!.delete(a.type);
      if (ids === this.lastIds) this.lastNamespace = this.lastType = this.lastIds = undefined;
    }
    if (types!.size === 0) this.byNamespace.delete(a.namespace);
    return true;
  }

  /** Every value, oldest insertion first within each type. */
  *values(): IterableIterator<V> {
    for (const types of this.byNamespace.values()) for (const ids of types.values()) yield* ids.values();
  }
}
