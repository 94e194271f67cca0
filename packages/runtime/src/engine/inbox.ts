import type { Store, StoredMessage } from "../store/types.js";

/**
 * Feeds committed immediate messages to the dispatcher, reading what memory cannot hold from the
 * store. The engine tells it what happens; each kind reacts as its way of reading needs:
 * `SingleOwnerInbox` reads by seq, `ClusterInbox` by commit position (other workers commit
 * messages for its key groups too).
 */
export interface Inbox {
  /** Immediate messages of an own commit that just went through, with the highest seq the batch used. */
  committed(messages: readonly StoredMessage[], maxSeq: number): void;
  /** A message's consumption is durable. */
  consumed(seq: number): void;
  /** Buffered messages were consumed: read more of the backlog when there is room. */
  pump(): void;
  /** Another worker may have committed for owned key groups: read the store. */
  wake(): void;
  /** Key groups were acquired: their messages may lie anywhere in the store. */
  reset(): void;
  /** Key groups were given up: forget what was handed over of them. */
  drop(keyGroups: ReadonlySet<number>): void;
  /**
   * The parked messages of a (quiet) type are to be delivered again: true when the inbox does it
   * itself, false when parking is to read them by type, up to `handedOver`.
   */
  redeliverParked(functionType: string): boolean;
  /** The engine is being thrown away: deliver nothing more, not even what a read in flight returns. */
  close(): void;
  /** Every committed immediate message with `seq <=` this has been handed over (or consumed). */
  readonly handedOver: number;
  /** True while part of the backlog is still to be read from the store. */
  readonly backlogInStore: boolean;
}

/** What an inbox needs of the engine around it. */
export interface InboxOptions {
  readonly store: Store;
  /** The key groups to read. */
  readonly keyGroups: () => readonly number[];
  /** Messages held in memory at most. */
  readonly maxBuffered: number;
  /** Messages held in memory now. */
  readonly buffered: () => number;
  readonly deliver: (message: StoredMessage) => void;
  readonly onError: (error: unknown) => void;
}

/**
 * The inbox of a single owner (every key group, no other writer): without ever holding more than
 * `maxBuffered` in memory: while there is room, a commit's new messages go straight to
 * their mailboxes; past it (and after a restart) the backlog is read from the store in
 * `seq` order. Invariant: every committed immediate message with `seq <= loadedUpTo` has been
 * handed over (or consumed).
 */
export class SingleOwnerInbox implements Inbox {
  private loadedUpTo = 0;
  private committedUpTo = 0;
  private overflow = true;
  private loading = false;
  private closed = false;

  constructor(private readonly options: InboxOptions) {}

  committed(messages: readonly StoredMessage[], maxSeq: number): void {
    if (maxSeq > this.committedUpTo) this.committedUpTo = maxSeq;
    // A commit of no immediate message adds none to memory (one whose messages were handed over
    // early, see `EarlySources`, may find memory over the limit: that is no backlog in the store).
    if (!this.overflow && messages.length > 0 && this.options.buffered() + messages.length > this.options.maxBuffered) this.overflow = true;
    if (!this.overflow) {
      for (const m of messages) if (m.seq > this.loadedUpTo) this.deliver(m);
      if (maxSeq > this.loadedUpTo) this.loadedUpTo = maxSeq;
    }
    this.pump();
  }

  /** Nothing to do: reads go by seq, never back. */
  consumed(_seq: number): void {}

  /** Nothing to do: no other worker commits for these key groups. */
  wake(): void {}

  /** Nothing to do: a single owner holds every key group from the start. */
  reset(): void {}

  /** Nothing to do: a single owner gives up no key group. */
  drop(_keyGroups: ReadonlySet<number>): void {}

  redeliverParked(_functionType: string): boolean {
    return false;
  }

  close(): void {
    this.closed = true;
  }

  pump(): void {
    if (this.closed || !this.overflow || this.loading || this.options.buffered() > this.options.maxBuffered / 2) return;
    this.loading = true;
    this.load().then(
      () => {
        this.loading = false;
        // Messages delivered by this load may all be consumed already: read on while there is room.
        this.pump();
      },
      (error) => {
        this.loading = false;
        if (!this.closed) this.options.onError(error);
      },
    );
  }

  get handedOver(): number {
    return this.loadedUpTo;
  }

  get backlogInStore(): boolean {
    return this.overflow;
  }

  private deliver(m: StoredMessage): void {
    if (!this.closed) this.options.deliver(m);
  }

  private async load(): Promise<void> {
    const snapshot = this.committedUpTo;
    const limit = Math.max(1, this.options.maxBuffered - this.options.buffered());
    const rows = await this.options.store.loadMessages(this.options.keyGroups(), this.loadedUpTo, limit);
    for (const m of rows) if (m.seq > this.loadedUpTo) this.deliver(m);
    const last = rows.at(-1)?.seq ?? 0;
    if (rows.length < limit) {
      this.loadedUpTo = Math.max(this.loadedUpTo, snapshot, last);
      // Caught up, unless a commit landed while reading (its messages may not have been seen).
      if (this.committedUpTo === snapshot) this.overflow = false;
    } else {
      this.loadedUpTo = Math.max(this.loadedUpTo, last);
    }
  }
}
