import { StatefunError } from "./errors.js";
import { parseTypeName } from "./typename.js";

/** The address of a function instance: its type `namespace/type` and an `id`. */
export interface Address {
  readonly namespace: string;
  readonly type: string;
  readonly id: string;
}

/**
 * Builds an address from a type name `namespace/type` and an id.
 *
 * @example
 * address("example/greeter", "bob")
 */
export function address(typename: string, id: string): Address {
  const { namespace, name } = parseTypeName(typename);
  return { namespace, type: name, id };
}

/** `namespace/type` of an address. */
export function functionTypeOf(a: Pick<Address, "namespace" | "type">): string {
  return `${a.namespace}/${a.type}`;
}

/** `namespace/type/id`, a readable form (ids may contain `/`, so it is not parsed back). */
export function formatAddress(a: Address): string {
  return `${a.namespace}/${a.type}/${a.id}`;
}

/** A map key unique per address (uses a separator that cannot occur in a type name). */
export function addressKey(a: Address): string {
  return `${a.namespace}/${a.type}\u0000${a.id}`;
}

export function sameAddress(a: Address | undefined, b: Address | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.id === b.id && a.type === b.type && a.namespace === b.namespace;
}

/** Validates an address built from outside input (HTTP paths, wire messages). */
export function checkAddress(a: Address, where: string): Address {
  if (!a.namespace || !a.type) {
    throw new StatefunError("STATEFUN_BAD_ADDRESS", `${where}: address needs a namespace and a type, got ${JSON.stringify(a)}`);
  }
  if (a.type.includes("/")) {
    throw new StatefunError("STATEFUN_BAD_ADDRESS", `${where}: function type ${JSON.stringify(a.type)} may not contain "/"`);
  }
  return a;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const utf8 = new TextEncoder();

/**
 * The key group of an id: a stable FNV-1a hash of its UTF-8 bytes modulo the number of key
 * groups. Instances of different types with the same id share a key group (as in StateFun).
 */
export function keyGroupOf(id: string, keyGroups: number): number {
  let hash = FNV_OFFSET;
  let ascii = true;
  for (let i = 0; i < id.length; i++) {
    if (id.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), FNV_PRIME);
  } else {
    for (const byte of utf8.encode(id)) hash = Math.imul(hash ^ byte, FNV_PRIME);
  }
  return (hash >>> 0) % keyGroups;
}
