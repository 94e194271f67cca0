import { describe, expect, it } from "vitest";
import { StateSpecRegistry } from "./state-specs.js";
import { MemoryStore } from "./store/memory-store.js";

describe("StateSpecRegistry", () => {
  it("registers durably, updates expiry, and refuses a type change naming function, state and both types", async () => {
    const store = new MemoryStore();
    const registry = new StateSpecRegistry(store);
    await registry.load();
    await registry.register("py/greeter", [{ name: "seen", typename: "io.statefun.types/int", expiration: { mode: "none" } }]);
    await registry.register("py/greeter", [
      { name: "seen", typename: "io.statefun.types/int", expiration: { mode: "after-call", millis: 9 } },
    ]);
    await expect(
      registry.register("py/greeter", [{ name: "seen", typename: "io.statefun.types/string", expiration: { mode: "none" } }]),
    ).rejects.toThrow(
      "function py/greeter registers state seen as io.statefun.types/string, but it is registered as io.statefun.types/int",
    );
    const again = new StateSpecRegistry(store);
    await again.load();
    expect(again.get("py/greeter")).toEqual([
      { name: "seen", typename: "io.statefun.types/int", expiration: { mode: "after-call", millis: 9 } },
    ]);
    expect(again.get("unknown/type")).toEqual([]);
  });
});
