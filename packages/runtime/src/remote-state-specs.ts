import { StatefunError } from "@statefun-ts/protocol";
import type { StateSpecInfo } from "./binding.js";
import type { StateSpecStore } from "./store/types.js";

/**
 * The states remote functions registered through the protocol's handshake
 * (`IncompleteInvocationContext`), kept durably in the store so they survive restarts.
 */
export class RemoteStateSpecs {
  private specs = new Map<string, StateSpecInfo[]>();

  constructor(private readonly store: StateSpecStore) {}

  /** Reads the registrations from the (open) store. */
  async load(): Promise<void> {
    this.specs = await this.store.loadStateSpecs();
  }

  get(functionType: string): readonly StateSpecInfo[] {
    return this.specs.get(functionType) ?? [];
  }

  /**
   * Registers states durably. A known name with the same type takes the new expiry; a known
   * name with another type is refused (the stored values would no longer decode).
   */
  async register(functionType: string, specs: readonly StateSpecInfo[]): Promise<void> {
    const known = new Map(this.get(functionType).map((s) => [s.name, s]));
    for (const spec of specs) {
      const before = known.get(spec.name);
      if (before && before.typename !== spec.typename) {
        throw new StatefunError(
          "STATEFUN_STATE_TYPE",
          `function ${functionType} registers state ${spec.name} as ${spec.typename}, but it is registered as ${before.typename}`,
        );
      }
    }
    await this.store.saveStateSpecs(functionType, specs);
    for (const spec of specs) known.set(spec.name, spec);
    this.specs.set(functionType, [...known.values()]);
  }
}
