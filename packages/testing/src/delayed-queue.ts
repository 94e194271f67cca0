import type { DelayedMessage } from "./recorded.js";

/** Delayed messages ordered by due time, then by the order they were sent. */
export class DelayedQueue {
  private readonly items: DelayedMessage[] = [];

  get pending(): readonly DelayedMessage[] {
    return [...this.items];
  }

  schedule(message: DelayedMessage): void {
    // Insert after every message due at the same time or earlier: FIFO among equal due times.
    let index = this.items.length;
    while (index > 0 && (this.items[index - 1]?.dueAt ?? 0) > message.dueAt) index--;
    this.items.splice(index, 0, message);
  }

  /** Drops every waiting message with the token; cancelling one that already fired does nothing. */
  cancel(token: string): void {
    for (let i = this.items.length - 1; i >= 0; i--) {
      if (this.items[i]?.cancellationToken === token) this.items.splice(i, 1);
    }
  }

  /** Due time of the earliest waiting message. */
  nextDueAt(): number | undefined {
    return this.items[0]?.dueAt;
  }

  /** Removes and returns the earliest message due at or before `now`. */
  takeDue(now: number): DelayedMessage | undefined {
    const first = this.items[0];
    if (first === undefined || first.dueAt > now) return undefined;
    this.items.shift();
    return first;
  }
}
