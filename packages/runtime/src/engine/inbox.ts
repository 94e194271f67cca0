import type { Store, StoredMessage } from "../store/types.js";

/**
 * Feeds committed immediate messages to the dispatcher without ever holding more than
 * `maxBuffered` in memory: while there is room, a commit's new messages go straight to
 * their mailboxes; past it (and after a restart) the backlog is read from the store in
 * `seq` order. Invariant: every committed immediate message with `seq <= loadedUpTo` has been
 * handed over (or consumed).
 */
export class Inbox {
  private loadedUpTo = 0;
  private committedUpTo = 0;
  private overflow = true;
  private loading = false;

  constructor(
    private readonly store: Store,
    private readonly keyGroups: () => readonly number[],
    private readonly maxBuffered: number,
    private readonly buffered: () => number,
    private readonly deliver: (message: StoredMessage) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Messages of a batch that just committed, with the highest seq the batch used. */
  committed(messages: readonly StoredMessage[], maxSeq: number): void {
    if (maxSeq > this.committedUpTo) this.committedUpTo = maxSeq;
    if (!this.overflow && this.buffered() + messages.length > this.maxBuffered) this.overflow = true;
    if (!this.overflow) {
      for (const m of messages) if (m.seq > this.loadedUpTo) this.deliver(m);
      if (maxSeq > this.loadedUpTo) this.loadedUpTo = maxSeq;
    }
    this.pump();
  }

  /** Call when buffered messages were consumed: reads more of the backlog when there is room. */
  pump(): void {
    if (!this.overflow || this.loading || this.buffered() > this.maxBuffered / 2) return;
    this.loading = true;
    this.load().then(
      () => {
        this.loading = false;
        // Messages delivered by this load may all be consumed already: read on while there is room.
        this.pump();
      },
      (error) => {
        this.loading = false;
        this.onError(error);
      },
    );
  }

  /** Every committed immediate message with `seq <=` this has been handed over (or consumed). */
  get handedOver(): number {
    return this.loadedUpTo;
  }

  get backlogInStore(): boolean {
    return this.overflow;
  }

  private async load(): Promise<void> {
    const snapshot = this.committedUpTo;
    const limit = Math.max(1, this.maxBuffered - this.buffered());
    const rows = await this.store.loadMessages(this.keyGroups(), this.loadedUpTo, limit);
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
