import type { StateSpecInfo } from "../binding.js";

/** The states registered by remote functions (the handshake of the remote protocol), kept durably. */
export interface StateSpecStore {
  /** The states registered by remote functions, by function type. */
  loadStateSpecs(): Promise<Map<string, StateSpecInfo[]>>;
  /** Registers states of a function type durably: adds new names, replaces the spec of known ones. */
  saveStateSpecs(functionType: string, specs: readonly StateSpecInfo[]): Promise<void>;
}
