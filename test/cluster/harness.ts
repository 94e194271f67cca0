import { Runtime, type Store } from "@statefun-ts/runtime";
import { MemoryStore } from "@statefun-ts/runtime/testing";
import type { StatefunModule } from "@statefun-ts/sdk";
import { until } from "@statefun-ts/test-kit";

/**
 * A worker's own door to the shared store: `freeze` holds every call (a SIGSTOP: nothing is lost,
 * it all goes through on `thaw`), `kill` fails every call from now on (a SIGKILL: what was not
 * committed never will be).
 */
export class Door {
  private frozen: Promise<void> | undefined;
  private open: (() => void) | undefined;
  private dead = false;

  freeze(): void {
    this.frozen ??= new Promise((resolve) => {
      this.open = resolve;
    });
  }

  thaw(): void {
    this.open?.();
    this.frozen = undefined;
  }

  kill(): void {
    this.dead = true;
    this.thaw();
  }

  /** The store as this worker sees it. */
  wrap(store: Store): Store {
    return new Proxy(store, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== "function") return value;
        // Notifications are the store's to send: a dead or frozen worker just does not act on them.
        if (prop === "watch") return value.bind(target);
        return async (...args: unknown[]) => {
          if (this.frozen) await this.frozen;
          if (this.dead) throw new Error("worker killed");
          const result = await value.apply(target, args);
          if (this.frozen) await this.frozen;
          if (this.dead) throw new Error("worker killed");
          return result;
        };
      },
    });
  }
}

export interface Worker {
  readonly name: string;
  readonly runtime: Runtime;
  readonly door: Door;
  readonly fatal: unknown[];
}

/** Fast settings, so that failover takes a fraction of a second in tests. */
export const FAST = { heartbeatMs: 20, leaseMs: 150 };

export class Cluster {
  readonly store: MemoryStore;
  readonly workers: Worker[] = [];

  constructor(
    readonly keyGroups: number,
    private readonly modules: readonly StatefunModule[],
  ) {
    this.store = new MemoryStore(keyGroups, { shared: true });
  }

  async start(name: string): Promise<Worker> {
    const door = new Door();
    const fatal: unknown[] = [];
    const runtime = new Runtime({
      store: door.wrap(this.store),
      modules: this.modules,
      owner: name,
      cluster: FAST,
      onFatal: (error) => fatal.push(error),
      logger: process.env.DEBUG_CLUSTER ? debugLogger(name) : undefined,
    });
    const worker = { name, runtime, door, fatal };
    this.workers.push(worker);
    await runtime.start();
    return worker;
  }

  /** Workers not killed nor failed. */
  live(): Worker[] {
    return this.workers.filter((w) => w.fatal.length === 0 && w.runtime.ready);
  }

  /** The key groups each given worker owns, once they are exactly an even split of all of them. */
  async balanced(workers: readonly Worker[]): Promise<number[][]> {
    let owned: number[][] = [];
    const explain = async () => {
      const view = await this.store.heartbeat("(observer)", 0);
      const leases = [...view.leases].map(([kg, l]) => `${kg}:${l.owner}@${l.epoch}`).join(" ");
      const workers = this.workers.map((w) => `${w.name}[${w.runtime.ownedKeyGroups().join(",")}]${w.fatal.length > 0 ? "(failed)" : ""}`);
      return `members ${view.members.join(",")}; leases ${leases}; workers ${workers.join(" ")}`;
    };
    await until(
      () => {
        owned = workers.map((w) => [...w.runtime.ownedKeyGroups()]);
        const all = owned.flat().sort((a, b) => a - b);
        const sizes = owned.map((o) => o.length);
        return (
          all.length === this.keyGroups &&
          all.every((kg, i) => kg === i) &&
          Math.max(...sizes) - Math.min(...sizes) <= 1 &&
          Math.min(...sizes) === Math.floor(this.keyGroups / workers.length)
        );
      },
      "an even split of the key groups",
      { explain },
    );
    return owned;
  }

  /** The key groups whose lease `worker` holds in the store. */
  async leasesOf(worker: Worker): Promise<number[]> {
    const view = await this.store.heartbeat("(observer)", 0);
    return [...view.leases].filter(([, l]) => l.owner === worker.name).map(([kg]) => kg);
  }

  /** Stops every worker (killed and failed ones included). */
  async stopAll(): Promise<void> {
    for (const w of this.workers.splice(0)) {
      w.door.thaw();
      await w.runtime.stop().catch(() => {});
    }
  }
}

function debugLogger(name: string) {
  const log = (level: string) => (obj: object, msg?: string) =>
    console.log(`${Date.now() % 100_000} ${name} ${level} ${msg} ${JSON.stringify(obj)}`);
  return { debug() {}, info: log("info"), warn: log("warn"), error: log("error") };
}
