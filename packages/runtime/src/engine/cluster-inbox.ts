import { functionTypeOf } from "@statefun-ts/protocol";
import type { StoredMessage } from "../store/types.js";
import type { Inbox, InboxOptions } from "./inbox.js";

/**
 * The inbox of a worker in a cluster: other workers commit messages for its key groups too, so the
 * store is read by commit position (`Store.loadMessagesSince`), never by seq. Two reasons to read:
 *
 * - a *backlog*: own commits whose messages were not handed over in memory (at start, after newly
 *   acquired key groups, past `maxBuffered`). Until a read comes back short with no own commit
 *   meanwhile, own commits are not handed over either (they would overtake older messages of the
 *   same sender still in the store): everything is read in position order.
 * - a *wake-up*: another worker may have committed for owned key groups (a notification, a poll).
 *   Its messages come from senders owned elsewhere, so own commits still hand theirs over in memory
 *   meanwhile (no pair has messages both in memory and unread in the store); reads go on until one
 *   comes back short with no wake-up meanwhile.
 *
 * `pending` holds the seqs handed over and not yet consumed, so a message read again (after a
 * reset to position 0, or handed over and then read) is delivered once.
 */
export class ClusterInbox implements Inbox {
  private position = 0;
  private readonly pending = new Map<number, StoredMessage>();
  private readonly deferred: number[] = [];
  private backlog = true;
  private woken = false;
  private loading = false;
  /** Own commits and wake-ups so far: a read that overlapped one may have missed it. */
  private commits = 0;
  private wakes = 0;
  /** Bumped by `reset`: a read in flight then must not move the position. */
  private resets = 0;
  private closed = false;

  private readonly owns: (keyGroup: number) => boolean;

  constructor(
    private readonly options: InboxOptions & {
      /** Whether this worker owns a key group now: only messages of owned ones are delivered. */
      readonly owns: (keyGroup: number) => boolean;
    },
  ) {
    this.owns = options.owns;
  }

  /** Reads go by commit position, not seq: parking never needs to bound a read by type. */
  get handedOver(): number {
    return Number.MAX_SAFE_INTEGER;
  }

  get backlogInStore(): boolean {
    return this.backlog || this.woken;
  }

  /** Immediate messages of an own commit (any key group: only owned ones are delivered). */
  committed(messages: readonly StoredMessage[], _maxSeq: number): void {
    this.commits++;
    if (!this.backlog && this.options.buffered() + messages.length > this.options.maxBuffered) this.backlog = true;
    if (!this.backlog) for (const m of messages) this.hand(m);
    this.pump();
  }

  /** A message's consumption is durable: it may be read again only if it came back (it cannot). */
  consumed(seq: number): void {
    if (this.loading) this.deferred.push(seq);
    else this.pending.delete(seq);
  }

  /** Something may have been committed for owned key groups by another worker: read the store. */
  wake(): void {
    this.wakes++;
    this.woken = true;
    this.pump();
  }

  /** Key groups were acquired: their messages may lie anywhere before the position, read from the start. */
  reset(): void {
    this.position = 0;
    this.resets++;
    this.backlog = true;
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
  redeliverParked(functionType: string): boolean {
    for (const [seq, m] of this.pending) if (functionTypeOf(m.target) === functionType) this.pending.delete(seq);
    this.reset();
    return true;
  }

  /** The engine is being replaced (fenced): deliver nothing more, not even what a read in flight returns. */
  close(): void {
    this.closed = true;
  }

  pump(): void {
    if (this.closed || !(this.backlog || this.woken) || this.loading || this.options.buffered() > this.options.maxBuffered / 2) return;
    this.loading = true;
    this.load().then(
      () => {
        this.loading = false;
        this.pump();
      },
      (error) => {
        this.loading = false;
        if (!this.closed) this.options.onError(error);
      },
    );
  }

  private hand(m: StoredMessage): void {
    if (this.closed || !this.owns(m.keyGroup) || this.pending.has(m.seq)) return;
    this.pending.set(m.seq, m);
    this.options.deliver(m);
  }

  private async load(): Promise<void> {
    const commits = this.commits;
    const wakes = this.wakes;
    const resets = this.resets;
    const limit = Math.max(1, this.options.maxBuffered - this.options.buffered());
    try {
      const page = await this.options.store.loadMessagesSince(this.options.keyGroups(), this.position, limit);
      for (const m of page.messages) this.hand(m);
      if (resets === this.resets && page.next > this.position) this.position = page.next;
      if (page.messages.length < limit) {
        if (this.commits === commits && this.wakes === wakes) this.backlog = false;
        if (this.wakes === wakes) this.woken = false;
      }
    } finally {
      // A consumption that committed while reading may have been read before it: forget it only now.
      for (const seq of this.deferred.splice(0)) this.pending.delete(seq);
    }
  }
}
