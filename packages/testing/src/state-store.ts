import { type Address, addressKey, type TypedValue } from "@statefun-ts/protocol";
import type { Expiration } from "@statefun-ts/sdk";

interface Slot {
  readonly value: TypedValue;
  expiresAt: number | undefined;
  readonly expiration: Expiration;
}

/** The state of every instance in a harness, with expiry checked against the fake clock on read. */
export class StateStore {
  private readonly instances = new Map<string, Map<string, Slot>>();

  read(address: Address, name: string, now: number): TypedValue | undefined {
    const slots = this.instances.get(addressKey(address));
    const slot = slots?.get(name);
    if (slot === undefined) return undefined;
    if (slot.expiresAt !== undefined && slot.expiresAt <= now) {
      slots?.delete(name);
      return undefined;
    }
    return slot.value;
  }

  /** The unexpired values whose names start with `prefix` (the entries of a map or list state). */
  entries(address: Address, prefix: string, now: number): [string, TypedValue][] {
    const found: [string, TypedValue][] = [];
    for (const name of [...(this.instances.get(addressKey(address))?.keys() ?? [])]) {
      if (!name.startsWith(prefix)) continue;
      const value = this.read(address, name, now);
      if (value !== undefined) found.push([name, value]);
    }
    return found;
  }

  /** Writes one value (`null` deletes it); its expiry starts now. */
  write(address: Address, name: string, value: TypedValue | null, expiration: Expiration, now: number): void {
    const key = addressKey(address);
    let slots = this.instances.get(key);
    if (value === null) {
      slots?.delete(name);
      if (slots?.size === 0) this.instances.delete(key);
      return;
    }
    if (slots === undefined) {
      slots = new Map();
      this.instances.set(key, slots);
    }
    slots.set(name, { value, expiration, expiresAt: expiration.mode === "none" ? undefined : now + expiration.millis });
  }

  /** An invocation of the instance committed: values that expire after a call start their time again. */
  touch(address: Address, now: number): void {
    for (const [name, slot] of this.instances.get(addressKey(address)) ?? []) {
      if (this.read(address, name, now) === undefined) continue;
      if (slot.expiration.mode === "after-call") slot.expiresAt = now + slot.expiration.millis;
    }
  }
}
