import type { Clock } from "../clock.js";
import type { Logger } from "../observe.js";
import type { Fence, Lease, Store, StoredMessage } from "../store/types.js";
import type { Committer } from "./committer.js";
import type { Dispatcher } from "./dispatcher.js";
import type { Inbox, InboxOptions } from "./inbox.js";
import type { ReplyWaiters } from "./replies.js";
import type { Timers } from "./timers.js";

/**
 * How a runtime holds key groups, chosen once when it first starts: `singleOwner` (every key
 * group, no other writer) or `clusterMember` (leases shared with other workers). Each engine
 * gets a fresh `Ownership` from it.
 */
export interface OwnershipMode {
  /** True for a cluster: key groups are shared with other workers. */
  readonly clustered: boolean;
  /** The ownership of a new engine (at start, and at each re-join of a cluster). */
  begin(): Ownership;
}

/** `Runtime.clusterView()`: members, leases, and the last heartbeat (epoch ms; undefined for a single owner). */
export interface ClusterSnapshot {
  readonly members: readonly string[];
  readonly leases: ReadonlyMap<number, Lease>;
  readonly heartbeatAt: number | undefined;
  readonly heartbeatMs: number | undefined;
  readonly leaseMs: number | undefined;
}

/** A worker that sees only itself (a single owner, or a cluster member before its first heartbeat): its own leases. */
export function ownLeases(fence: Fence): ClusterSnapshot {
  const leases = new Map([...fence.epochs].map(([keyGroup, epoch]) => [keyGroup, { owner: fence.owner, epoch }]));
  return { members: [fence.owner], leases, heartbeatAt: undefined, heartbeatMs: undefined, leaseMs: undefined };
}

/** The key groups one engine holds, and the parts that depend on how it holds them. */
export interface Ownership {
  /** Overlap invoking and committing (a shared store commits over the network, a threaded one on its thread; see `Committer`). */
  readonly pipelinedCommits: boolean;
  /** Awaited ingress messages may reach their mailbox before their commit (an inbox that reads by seq; see `EarlyIngress`). */
  readonly earlyIngress: boolean;
  /** The fence of the next commit: the epochs held now. */
  readonly fence: Fence;
  /** Key groups where invocations may run now. */
  readonly owned: readonly number[];
  owns(keyGroup: number): boolean;
  /** The cluster as this worker last saw it (see `ClusterSnapshot`). */
  clusterView(): ClusterSnapshot;
  /** Before the engine is built: takes what is held from the start (a single owner: every key group). */
  acquire(): Promise<void>;
  /** The inbox that suits how messages reach this worker. */
  createInbox(options: InboxOptions): Inbox;
  /** Wraps how due delayed messages fire (a cluster checks for cancellations by other workers first). */
  fireTimers(fire: (message: StoredMessage) => void, link: TimerLink): (message: StoredMessage) => void;
  /** The engine runs: start driving it (a cluster joins and heartbeats, and watches the store). */
  start(parts: EngineParts): Promise<void>;
  /** A graceful stop: no more changes of ownership; resolves once the current one is done. */
  stop(): Promise<void>;
  /** After a graceful stop, everything committed: give every key group back at once. */
  leave(): Promise<void>;
  /** A fatal error or a fencing: stop at once and let the key groups go to others. */
  halt(): Promise<void>;
}

/** What a checked firing needs of the engine. */
export interface TimerLink {
  /** Whether the engine that holds the message still runs. */
  readonly running: () => boolean;
  /** A message found cancelled (or consumed elsewhere): forget it. */
  readonly dropped: (message: StoredMessage) => void;
}

/** The parts of one engine that its ownership drives (a replaced engine's hooks act on its own parts only). */
export interface EngineParts {
  readonly owner: string;
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly committer: Committer;
  readonly dispatcher: Dispatcher;
  readonly inbox: Inbox;
  readonly timers: Timers;
  readonly waiters: ReplyWaiters;
  owns(keyGroup: number): boolean;
  fatal(error: unknown): void;
  /** Reads the store's counts again: the backlog and `Engine.counts` (other workers change them too). */
  resyncBacklog(): void;
}
