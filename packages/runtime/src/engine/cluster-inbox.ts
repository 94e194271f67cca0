import type { Store, StoredMessage } from "../store/types.js";

/**
 * The inbox of a worker in a cluster: other workers commit messages for its key groups too, so the
 * store is read by commit position (`Store.loadMessagesSince`), never by seq. Own commits still
 * hand their messages over in memory while the inbox has caught up; a wake-up (another worker
 * committed, a poll) or newly acquired key groups switch it to reading the store, in position
 * order, until a read comes back short with nothing committed meanwhile. `pending` holds the seqs
 * handed over and not yet consumed, so a message read again (after a reset to position 0, or
 * handed over and then read) is delivered once.
 */
export class ClusterInbox {
  private position = 0;
  private readonly pending = new Map<number, StoredMessage>();
  private readonly deferred: number[] = [];
  private overflow = true;
  private loading = false;
  private changes = 0;
  /** Bumped by `reset`: a read in flight then must not move the position. */
  private resets = 0;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly keyGroups: () => readonly number[],
    private readonly owns: (keyGroup: number) => boolean,
    private readonly maxBuffered: number,
    private readonly buffered: () => number,
    private readonly deliver: (message: StoredMessage) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  get backlogInStore(): boolean {
    return this.overflow;
  }

  /** Immediate messages of an own commit (any key group: only owned ones are delivered). */
  committed(messages: readonly StoredMessage[], _maxSeq: number): void {
    this.changes++;
    if (!this.overflow && this.buffered() + messages.length > this.maxBuffered) this.overflow = true;
    if (!this.overflow) for (const m of messages) this.hand(m);
    this.pump();
  }

  /** A message's consumption is durable: it may be read again only if it came back (it cannot). */
  consumed(seq: number): void {
    if (this.loading) this.deferred.push(seq);
    else this.pending.delete(seq);
  }

  /** Something may have been committed for owned key groups by another worker: read the store. */
  wake(): void {
    this.changes++;
    this.overflow = true;
    this.pump();
  }

  /** Key groups were acquired: their messages may lie anywhere before the position, read from the start. */
  reset(): void {
    this.position = 0;
    this.resets++;
    this.wake();
  }

  /** Key groups given up: forget which of their messages were handed over. */
  drop(keyGroups: ReadonlySet<number>): void {
    for (const [seq, m] of this.pending) if (keyGroups.has(m.keyGroup)) this.pending.delete(seq);
  }

  /**
   * Parked messages of a type (handed over, left in the store) are to be delivered again: forget
   * them and read the store from the start. Call only when no mailbox of the type holds a message.
   */
  redeliver(functionType: string): void {
    const slash = functionType.lastIndexOf("/");
    const namespace = functionType.slice(0, slash);
    const type = functionType.slice(slash + 1);
    for (const [seq, m] of this.pending) if (m.target.type === type && m.target.namespace === namespace) this.pending.delete(seq);
    this.reset();
  }

  /** The engine is being replaced (fenced): deliver nothing more, not even what a read in flight returns. */
  close(): void {
    this.closed = true;
  }

  pump(): void {
    if (this.closed || !this.overflow || this.loading || this.buffered() > this.maxBuffered / 2) return;
    this.loading = true;
    this.load().then(
      () => {
        this.loading = false;
        this.pump();
      },
      (error) => {
        this.loading = false;
        if (!this.closed) this.onError(error);
      },
    );
  }

  private hand(m: StoredMessage): void {
    if (this.closed || !this.owns(m.keyGroup) || this.pending.has(m.seq)) return;
    this.pending.set(m.seq, m);
    this.deliver(m);
  }

  private async load(): Promise<void> {
    const snapshot = this.changes;
    const resets = this.resets;
    const limit = Math.max(1, this.maxBuffered - this.buffered());
    try {
      const page = await this.store.loadMessagesSince(this.keyGroups(), this.position, limit);
      for (const m of page.messages) this.hand(m);
      if (resets === this.resets && page.next > this.position) this.position = page.next;
      if (page.messages.length < limit && this.changes === snapshot) this.overflow = false;
    } finally {
      // A consumption that committed while reading may have been read before it: forget it only now.
      for (const seq of this.deferred.splice(0)) this.pending.delete(seq);
    }
  }
}
