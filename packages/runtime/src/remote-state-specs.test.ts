import { describe, expect, it } from "vitest";
import { RemoteStateSpecs } from "./remote-state-specs.js";
import { MemoryStore } from "./store/memory-store.js";

describe("RemoteStateSpecs", () => {
  it("registers durably, updates expiry, and refuses a type change naming function, state and both types", async () => {
    const store = new MemoryStore();
    const specs = new RemoteStateSpecs(store);
    await specs.load();
    await specs.register("py/greeter", [{ name: "seen", typename: "io.statefun.types/int", expiration: { mode: "none" } }]);
    await specs.register("py/greeter", [
      { name: "seen", typename: "io.statefun.types/int", expiration: { mode: "after-call", millis: 9 } },
    ]);
    await expect(
      specs.register("py/greeter", [{ name: "seen", typename: "io.statefun.types/string", expiration: { mode: "none" } }]),
    ).rejects.toThrow(
      "function py/greeter registers state seen as io.statefun.types/string, but it is registered as io.statefun.types/int",
    );
    const again = new RemoteStateSpecs(store);
    await again.load();
    expect(again.get("py/greeter")).toEqual([
      { name: "seen", typename: "io.statefun.types/int", expiration: { mode: "after-call", millis: 9 } },
    ]);
    expect(again.get("unknown/type")).toEqual([]);
  });
});
