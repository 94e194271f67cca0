/**
 * One entry of the persisted module catalog: a module (`kind: "module"`, `body` = the module
 * YAML as given) or a function binding (`kind: "function"`, `name` = `namespace/name` or
 * `namespace/*`, `body` = its JSON). The store keeps bodies as opaque text.
 */
export interface ModuleCatalogEntry {
  readonly kind: "module" | "function";
  readonly name: string;
  readonly body: string;
}

/** The persisted catalog: every entry, and the change counter it is at. */
export interface ModuleCatalogSnapshot {
  /** 0 for a new store; raised by exactly 1 by every `changeModuleCatalog`. */
  readonly version: number;
  /** Ordered by `(kind, name)`. */
  readonly entries: readonly ModuleCatalogEntry[];
}

/** Puts (`body` a string) or deletes (`body` null) one catalog entry. */
export interface ModuleCatalogChange {
  readonly kind: ModuleCatalogEntry["kind"];
  readonly name: string;
  readonly body: string | null;
}

/**
 * The module catalog (dynamic loading), owned by the server: the engine never reads it. Every
 * worker of a store sees the same entries; a worker polls `moduleCatalogVersion()` (one cheap read)
 * and reloads when it changed.
 */
export interface ModuleCatalog {
  loadModuleCatalog(): Promise<ModuleCatalogSnapshot>;
  moduleCatalogVersion(): Promise<number>;
  /**
   * Applies one change atomically and durably and raises the version by 1 (also when a delete
   * finds nothing); returns the new version.
   */
  changeModuleCatalog(change: ModuleCatalogChange): Promise<number>;
}
