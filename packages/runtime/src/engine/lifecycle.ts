import { StatefunError } from "@statefun-ts/protocol";
import type { StoreInfo } from "../store/types.js";
import { Engine } from "./engine.js";
import type { RuntimeOptions } from "./options.js";
import type { OwnershipMode } from "./ownership.js";
import { ownershipMode, type RuntimeParts } from "./setup.js";

export type RuntimeState = "new" | "starting" | "running" | "stopping" | "stopped" | "failed";

/**
 * The lifecycle of a runtime: its state, the ownership mode chosen at the first start, and the
 * one engine it runs at a time. It decides what a fatal error means: in a cluster,
 * `STATEFUN_FENCED` while running throws the engine away and starts a new one (`rejoin`);
 * anything else fails the runtime and calls `onFatal`. Errors reported by an engine that is not
 * the current one, or while re-joining, change nothing.
 */
export class Lifecycle {
  /** How key groups are held, chosen when the runtime first starts. */
  private mode: OwnershipMode | undefined;
  private current: Engine | undefined;
  private info: StoreInfo | undefined;
  private rejoining = false;
  private now: RuntimeState = "new";

  constructor(
    private readonly parts: RuntimeParts,
    private readonly options: RuntimeOptions,
  ) {}

  get state(): RuntimeState {
    return this.now;
  }

  /** The current engine, if one was started (it may be stopped or failed since). */
  get engine(): Engine | undefined {
    return this.current;
  }

  /** True once started in cluster mode. */
  get clustered(): boolean {
    return this.mode?.clustered ?? false;
  }

  /** The engine while the runtime runs: new requests are refused otherwise. */
  running(): Engine {
    const engine = this.now === "running" ? this.current : undefined;
    if (engine === undefined) throw this.closed();
    return engine;
  }

  /** The engine, once the runtime started. */
  started(): Engine {
    if (this.current === undefined) throw this.closed();
    return this.current;
  }

  /** See `Runtime.start`. */
  async start(): Promise<void> {
    if (this.now !== "new") throw new StatefunError("STATEFUN_CLOSED", `runtime cannot start: it is ${this.now}`);
    this.now = "starting";
    // A re-join after fencing keeps the store open.
    // A store that cannot be opened (a wrong URL, the database down) leaves nothing to stop.
    const info =
      this.info ??
      (await this.parts.store.open().catch((error: unknown) => {
        this.now = "new";
        throw error;
      }));
    this.info = info;
    this.mode ??= ownershipMode(this.parts, this.options, info);
    const context = { ...this.parts, keyGroups: info.keyGroups, fatal: (from: Engine, error: unknown) => this.fatal(from, error) };
    const engine = await Engine.create(context, this.mode.begin());
    this.current = engine;
    await engine.start();
    this.now = "running";
    this.parts.logger.info({ keyGroups: info.keyGroups, functions: this.parts.bindings.functionTypes() }, "runtime started");
  }

  /** See `Runtime.stop`. */
  async stop(): Promise<void> {
    if (this.now === "stopped" || this.now === "new") {
      this.now = "stopped";
      return;
    }
    const failed = this.now === "failed";
    this.now = "stopping";
    await this.current?.stop(failed);
    this.parts.waiters.clear();
    await this.parts.store.close();
    this.now = "stopped";
  }

  private closed(): StatefunError {
    return new StatefunError("STATEFUN_CLOSED", `the runtime is ${this.now}`, { terminal: false });
  }

  private fatal(engine: Engine, error: unknown): void {
    // Errors of an engine being replaced (a commit under way when it was fenced) change nothing.
    if (this.now === "failed" || this.rejoining || engine !== this.current) return;
    if (this.clustered && this.now === "running" && StatefunError.is(error) && error.code === "STATEFUN_FENCED") {
      void this.rejoin(engine, error);
      return;
    }
    this.now = "failed";
    engine.fail();
    this.parts.logger.error({ error: String(error) }, "runtime failed: a commit did not go through; restart to recover from the store");
    this.options.onFatal?.(error);
  }

  /**
   * Cluster mode, fenced (another worker took key groups this one held, e.g. after it was frozen):
   * throw the engine away whole and join again with a new one, re-reading from the store whatever
   * this worker is assigned now.
   */
  private async rejoin(engine: Engine, error: unknown): Promise<void> {
    this.now = "starting";
    this.rejoining = true;
    this.parts.logger.warn({ error: String(error) }, "fenced: dropping the engine's memory and joining the cluster again");
    await engine.discard(error);
    this.now = "new";
    try {
      await this.start();
      this.rejoining = false;
    } catch (failure) {
      this.rejoining = false;
      this.fatal(this.current ?? engine, failure);
    }
  }
}
