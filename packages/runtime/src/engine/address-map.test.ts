import { describe, expect, it } from "vitest";
import { AddressMap } from "./address-map.js";

const at = (namespace: string, type: string, id: string) => ({ namespace, type, id });

describe("AddressMap", () => {
  it("finds each address after lookups of other types, and nothing of a type once its last address is gone and another took its place", () => {
    const map = new AddressMap<number>();
    map.set(at("n", "a", "1"), 1);
    map.set(at("n", "b", "1"), 2);
    map.set(at("m", "a", "1"), 3);
    expect(map.get(at("n", "a", "1"))).toBe(1);
    expect(map.get(at("n", "b", "1"))).toBe(2);
    expect(map.get(at("m", "a", "1"))).toBe(3);
    expect(map.get(at("n", "a", "1"))).toBe(1);
    expect(map.get(at("n", "a", "2"))).toBeUndefined();
    // The type looked up last loses its last address; a new map of that type must be the one read.
    expect(map.delete(at("n", "a", "1"))).toBe(true);
    expect(map.get(at("n", "a", "1"))).toBeUndefined();
    map.set(at("n", "a", "2"), 4);
    expect(map.get(at("n", "a", "2"))).toBe(4);
    expect(map.get(at("n", "a", "1"))).toBeUndefined();
    expect(map.size).toBe(3);
    expect([...map.values()].sort()).toEqual([2, 3, 4]);
  });
});
