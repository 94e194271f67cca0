import type { Fence, Store, StoredMessage } from "../store/types.js";
import { type Inbox, type InboxOptions, SingleOwnerInbox } from "./inbox.js";
import { type ClusterSnapshot, type Ownership, type OwnershipMode, ownLeases } from "./ownership.js";

export interface SingleOwnerOptions {
  readonly store: Store;
  /** This worker's name in leases. */
  readonly owner: string;
  /** Key groups in all (the store's). */
  readonly keyGroups: number;
}

/** The only worker of its store: it takes every key group at start and never gives one up. */
export function singleOwner(options: SingleOwnerOptions): OwnershipMode {
  return {
    clustered: false,
    begin: () => new SingleOwner(options.store, options.owner, options.keyGroups),
  };
}

class SingleOwner implements Ownership {
  /** A store that commits on another thread overlaps its commits with invocations (see `CommitConcurrency`). */
  readonly pipelinedCommits: boolean;
  readonly earlyIngress = true;
  readonly owned: readonly number[];
  private held: Fence;

  constructor(
    private readonly store: Store,
    private readonly owner: string,
    keyGroups: number,
  ) {
    this.pipelinedCommits = store.commitsOffThread === true;
    this.owned = Array.from({ length: keyGroups }, (_, i) => i);
    this.held = { owner, epochs: new Map() };
  }

  get fence(): Fence {
    return this.held;
  }

  owns(_keyGroup: number): boolean {
    return true;
  }

  clusterView(): ClusterSnapshot {
    return ownLeases(this.held);
  }

  async acquire(): Promise<void> {
    const epochs = await this.store.acquire(this.owner, this.owned);
    this.held = { owner: this.owner, epochs };
  }

  createInbox(options: InboxOptions): Inbox {
    return new SingleOwnerInbox(options);
  }

  /** No other worker can cancel a delayed message: due ones fire at once. */
  fireTimers(fire: (message: StoredMessage) => void): (message: StoredMessage) => void {
    return fire;
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async leave(): Promise<void> {}
  async halt(): Promise<void> {}
}
