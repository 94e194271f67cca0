import { StatefunError } from "@statefun-ts/protocol";
import type { Clock } from "../clock.js";
import type { Logger } from "../observe.js";
import type { ClusterView, Fence, Store } from "../store/types.js";
import { assignment } from "./assignment.js";

/** Cluster mode settings; failover takes about `leaseMs + heartbeatMs` (4 s by default). */
export interface ClusterOptions {
  /** How often a worker heartbeats, rebalances and polls the store for work of others (default 1,000 ms). */
  readonly heartbeatMs?: number;
  /** A worker not heard of for this long is dead: its key groups are taken over (default 3,000 ms). */
  readonly leaseMs?: number;
}

/** What the engine does when ownership changes. */
export interface MembershipHooks {
  /** Key groups were claimed (and are active): recover their inbox and timers from the store. */
  acquired(keyGroups: readonly number[]): void;
  /** Key groups are no longer active: resolve once none of their work is in flight, then forget them in memory. */
  quiesce(keyGroups: ReadonlySet<number>): Promise<void>;
  /** Another worker took key groups this one held: it must never write for them again. */
  lost(error: StatefunError): void;
  /** After every heartbeat: the polling fallback for wake-ups across workers. */
  polled(): void;
}

export interface MembershipOptions {
  readonly store: Store;
  /** This worker's name in leases and membership. */
  readonly owner: string;
  /** Key groups in all (the store's). */
  readonly keyGroups: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly cluster: ClusterOptions;
}

/**
 * The membership loop of a worker in a cluster: heartbeats, computes its even share of the key
 * groups from the live members, gives up what is assigned elsewhere gracefully (stop starting
 * invocations, let in-flight ones commit, forget, release) and claims what is free or lapsed.
 */
export class Membership {
  private readonly epochs = new Map<number, number>();
  private readonly active = new Set<number>();
  private readonly leaving = new Set<number>();
  private activeList: number[] = [];
  private fenceNow: Fence;
  private timer: { cancel(): void } | undefined;
  private ticking: Promise<void> | undefined;
  private readonly givingUp = new Set<Promise<void>>();
  private stopped = false;
  /** What the last heartbeat saw, and when (this worker's clock): for the admin API's cluster view. */
  private last: { readonly view: ClusterView; readonly at: number } | undefined;
  private hooks: MembershipHooks | undefined;
  private readonly store: Store;
  private readonly keyGroups: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  readonly owner: string;
  readonly heartbeatMs: number;
  readonly leaseMs: number;

  constructor(options: MembershipOptions) {
    this.store = options.store;
    this.owner = options.owner;
    this.keyGroups = options.keyGroups;
    this.clock = options.clock;
    this.logger = options.logger;
    this.heartbeatMs = positive(options.cluster.heartbeatMs ?? 1_000, "heartbeatMs");
    this.leaseMs = positive(options.cluster.leaseMs ?? 3_000, "leaseMs");
    if (this.leaseMs <= this.heartbeatMs) {
      throw new StatefunError(
        "STATEFUN_BAD_CONFIG",
        `cluster.leaseMs (${this.leaseMs}) must be longer than cluster.heartbeatMs (${this.heartbeatMs})`,
      );
    }
    this.fenceNow = { owner: this.owner, epochs: new Map() };
  }

  /** What the last heartbeat saw, and when; undefined before the first one answered. */
  get lastView(): { readonly view: ClusterView; readonly at: number } | undefined {
    return this.last;
  }

  /** The fence of the next commit: the epochs held now. */
  get fence(): Fence {
    return this.fenceNow;
  }

  /** Key groups where invocations may run. */
  get owned(): readonly number[] {
    return this.activeList;
  }

  owns(keyGroup: number): boolean {
    return this.active.has(keyGroup);
  }

  /** Joins: the first heartbeat and claim, then the loop; `hooks` tell the engine what changed. */
  async start(hooks: MembershipHooks): Promise<void> {
    this.hooks = hooks;
    await this.tick();
    this.schedule();
  }

  /** Stops the loop (no more heartbeats, claims or give-ups start); waits for the current round. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.ticking;
    await Promise.all(this.givingUp);
  }

  /** After a graceful stop (everything committed): releases every lease and leaves, so others take over at once. */
  async leave(): Promise<void> {
    const held = [...this.epochs.keys()];
    if (held.length > 0) await this.store.release(this.fenceNow, held);
    await this.store.leave(this.owner);
  }

  /** A fatal error or a fencing: stop heartbeating and leave, so the key groups lapse to the others at once. */
  async halt(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.store.leave(this.owner).catch(() => {});
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      this.ticking = this.tick()
        .catch((error) => this.logger.warn({ error: String(error) }, "cluster heartbeat failed"))
        .finally(() => {
          this.ticking = undefined;
          this.schedule();
        });
    }, this.heartbeatMs);
  }

  private async tick(): Promise<void> {
    const view = await this.store.heartbeat(this.owner, this.leaseMs);
    this.last = { view, at: this.clock.now() };
    if (this.stopped) return;
    if (this.checkLost(view)) return;
    const mine = assignment(view.members, this.keyGroups, this.owner);
    const surplus = [...this.epochs.keys()].filter((kg) => !mine.has(kg) && !this.leaving.has(kg));
    if (surplus.length > 0) this.giveUp(surplus);
    const live = new Set(view.members);
    const wanted: number[] = [];
    const strays: number[] = [];
    for (let kg = 0; kg < this.keyGroups; kg++) {
      if (this.epochs.has(kg)) continue;
      const lease = view.leases.get(kg);
      if (mine.has(kg)) {
        if (lease?.owner === undefined || lease.owner === this.owner || !live.has(lease.owner)) wanted.push(kg);
      } else if (lease?.owner === this.owner && !this.leaving.has(kg)) {
        strays.push(kg);
      }
    }
    // Held under this name but not by this worker (a release that failed, an earlier life): give back.
    for (const kg of strays) await this.store.release({ owner: this.owner, epochs: new Map([[kg, view.leases.get(kg)!.epoch]]) }, [kg]);
    if (wanted.length > 0) {
      const got = await this.store.claim(this.owner, wanted);
      if (got.size > 0) {
        for (const [kg, epoch] of got) {
          this.epochs.set(kg, epoch);
          this.active.add(kg);
        }
        this.changed();
        this.logger.info({ owner: this.owner, keyGroups: [...got.keys()] }, "key groups acquired");
        this.hooks?.acquired([...got.keys()]);
      }
    }
    this.hooks?.polled();
  }

  /** True (and `lost` called) when a key group this worker holds is leased to someone else now. */
  private checkLost(view: ClusterView): boolean {
    for (const [kg, epoch] of this.epochs) {
      if (this.leaving.has(kg)) continue;
      const lease = view.leases.get(kg);
      if (lease?.owner === this.owner && lease.epoch === epoch) continue;
      const holder = lease?.owner === undefined ? "no one" : `${lease.owner} at epoch ${lease.epoch}`;
      this.hooks?.lost(
        new StatefunError(
          "STATEFUN_FENCED",
          `key group ${kg} was taken over: it is held by ${holder}, not by ${this.owner} at epoch ${epoch}`,
          {
            terminal: false,
          },
        ),
      );
      return true;
    }
    return false;
  }

  private giveUp(keyGroups: readonly number[]): void {
    const set = new Set(keyGroups);
    for (const kg of set) {
      this.active.delete(kg);
      this.leaving.add(kg);
    }
    this.changed();
    let done!: Promise<void>;
    done = (async () => {
      try {
        await this.hooks?.quiesce(set);
        const epochs = new Map(keyGroups.map((kg) => [kg, this.epochs.get(kg)!]));
        await this.store.release({ owner: this.owner, epochs }, keyGroups);
        this.logger.info({ owner: this.owner, keyGroups }, "key groups released");
      } catch (error) {
        this.logger.warn({ error: String(error), keyGroups }, "releasing key groups failed; the next heartbeat retries");
      } finally {
        for (const kg of set) {
          this.epochs.delete(kg);
          this.leaving.delete(kg);
        }
        this.changed();
        this.givingUp.delete(done);
      }
    })();
    this.givingUp.add(done);
  }

  private changed(): void {
    this.activeList = [...this.active].sort((a, b) => a - b);
    this.fenceNow = { owner: this.owner, epochs: new Map(this.epochs) };
  }
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new StatefunError("STATEFUN_BAD_CONFIG", `cluster.${name} must be a positive number of milliseconds, got ${value}`);
  return value;
}
