import type { Clock } from "../clock.js";
import type { Logger } from "../observe.js";
import type { Fence, Store, StoredMessage } from "../store/types.js";
import { cancelChecked } from "./cancel-check.js";
import { clusterHooks, onStoreChange } from "./cluster-hooks.js";
import { ClusterInbox } from "./cluster-inbox.js";
import type { Inbox, InboxOptions } from "./inbox.js";
import { type ClusterOptions, Membership } from "./membership.js";
import { type ClusterSnapshot, type EngineParts, type Ownership, type OwnershipMode, ownLeases, type TimerLink } from "./ownership.js";

export interface ClusterMemberOptions {
  readonly store: Store;
  readonly owner: string;
  readonly keyGroups: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly cluster: ClusterOptions;
}

/**
 * One of several workers sharing the store: key groups are leased, with heartbeats, an even
 * share for each live member, and failover. Each engine joins again with a fresh membership.
 */
export function clusterMember(options: ClusterMemberOptions): OwnershipMode {
  return {
    clustered: true,
    begin: () => new ClusterMember(options),
  };
}

class ClusterMember implements Ownership {
  readonly pipelinedCommits = true;
  /** Other workers commit for owned key groups too: the inbox reads by commit position, not by seq. */
  readonly earlyIngress = false;
  private readonly membership: Membership;
  private unwatch: (() => void) | undefined;

  constructor(private readonly options: ClusterMemberOptions) {
    this.membership = new Membership(options);
  }

  get fence(): Fence {
    return this.membership.fence;
  }

  get owned(): readonly number[] {
    return this.membership.owned;
  }

  owns(keyGroup: number): boolean {
    return this.membership.owns(keyGroup);
  }

  clusterView(): ClusterSnapshot {
    const { lastView: last, heartbeatMs, leaseMs } = this.membership;
    if (last === undefined) return ownLeases(this.fence);
    return { members: last.view.members, leases: last.view.leases, heartbeatAt: last.at, heartbeatMs, leaseMs };
  }

  /** Nothing yet: the first heartbeat (in `start`) claims this worker's share of what is free. */
  async acquire(): Promise<void> {}

  createInbox(options: InboxOptions): Inbox {
    return new ClusterInbox({ ...options, owns: (keyGroup) => this.owns(keyGroup) });
  }

  /** A delayed message may have been cancelled on another worker: check before firing. */
  fireTimers(fire: (message: StoredMessage) => void, link: TimerLink): (message: StoredMessage) => void {
    return cancelChecked({
      store: this.options.store,
      fire,
      active: (m) => link.running() && this.owns(m.keyGroup),
      dropped: link.dropped,
      clock: this.options.clock,
      logger: this.options.logger,
    });
  }

  async start(parts: EngineParts): Promise<void> {
    this.unwatch = this.options.store.watch?.(onStoreChange(parts));
    await this.membership.start(clusterHooks(parts));
  }

  async stop(): Promise<void> {
    this.unwatch?.();
    await this.membership.stop();
  }

  leave(): Promise<void> {
    return this.membership.leave();
  }

  halt(): Promise<void> {
    this.unwatch?.();
    return this.membership.halt();
  }
}
