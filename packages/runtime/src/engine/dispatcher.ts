import { addressKey, functionTypeOf, StatefunError } from "@statefun-ts/protocol";
import { errorText } from "@statefun-ts/sdk/internal";
import type { Clock } from "../clock.js";
import type { Logger, MetricsSink } from "../observe.js";
import type { Registry } from "../registry.js";
import type { Store, StoredMessage } from "../store/types.js";
import { type CommitUnit, unit } from "./commit-unit.js";
import type { Committer } from "./committer.js";
import { Deque } from "./deque.js";
import { effectsToUnit } from "./effects-unit.js";
import { invokeEmbedded } from "./invoker.js";
import { Mailbox } from "./mailbox.js";

export interface DispatcherOptions {
  readonly store: Store;
  readonly registry: Registry;
  readonly committer: Committer;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: MetricsSink;
  readonly keyGroups: number;
  readonly maxInFlight: number;
  readonly maxCachedAddresses: number;
  /** Applies a cancellation in memory at once (timers and queued units). */
  readonly cancel: (token: string) => void;
  /** A buffered message left memory (consumed, parked or dead-lettered): room for more. */
  readonly released: () => void;
}

/**
 * Per-address mailboxes: one invocation at a time per address, many addresses at once
 * (bounded), a later invocation of an address running on its predecessor's state even
 * before that commits (commits are ordered, so a crash rolls both back).
 */
export class Dispatcher {
  private readonly mailboxes = new Map<string, Mailbox>();
  private readonly ready = new Deque<Mailbox>();
  private inFlight = 0;
  private bufferedCount = 0;
  private parkedCount = 0;
  private stopping = false;
  private idle: (() => void)[] = [];

  constructor(private readonly o: DispatcherOptions) {}

  get buffered(): number {
    return this.bufferedCount;
  }
  get running(): number {
    return this.inFlight;
  }
  get parked(): number {
    return this.parkedCount;
  }
  get cachedAddresses(): number {
    return this.mailboxes.size;
  }

  deliver(m: StoredMessage): void {
    const key = addressKey(m.target);
    let mb = this.mailboxes.get(key);
    if (mb === undefined) {
      if (this.mailboxes.size >= this.o.maxCachedAddresses) this.evict();
      mb = new Mailbox(key, m.target, m.keyGroup, functionTypeOf(m.target));
      this.mailboxes.set(key, mb);
    }
    mb.queue.push(m);
    this.bufferedCount++;
    this.o.metrics.count("messages_delivered");
    this.schedule(mb);
  }

  /** Stops starting invocations; resolves when the running ones are done. */
  stop(): Promise<void> {
    this.stopping = true;
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(mb: Mailbox): void {
    if (mb.busy || mb.ready || mb.queue.length === 0) return;
    mb.ready = true;
    this.ready.push(mb);
    this.drain();
  }

  private drain(): void {
    while (!this.stopping && this.inFlight < this.o.maxInFlight && this.ready.length > 0) {
      const mb = this.ready.shift()!;
      mb.ready = false;
      mb.busy = true;
      this.inFlight++;
      void this.invoke(mb).finally(() => {
        this.inFlight--;
        if (this.stopping && this.inFlight === 0) for (const resolve of this.idle.splice(0)) resolve();
        this.drain();
      });
    }
  }

  private async invoke(mb: Mailbox): Promise<void> {
    const binding = this.o.registry.binding(mb.functionType);
    if (binding === undefined) return this.park(mb);
    const m = mb.queue.peek()!;
    try {
      if (mb.state === undefined) {
        const entries = await this.o.store.loadState(mb.address);
        mb.state = new Map(entries.map((e) => [e.name, e]));
      }
      const now = this.o.clock.now();
      const started = performance.now();
      const effects = await invokeEmbedded(binding, mb, m, now);
      this.o.metrics.observe("invocation_latency_seconds", (performance.now() - started) / 1000);
      const parts = effectsToUnit(mb, [m], effects, binding.specs, this.o.keyGroups, now, this.o.cancel);
      this.o.metrics.count("invocations");
      this.o.metrics.count("messages_sent", parts.messages.length);
      this.o.metrics.count("egress_records", parts.egress.length);
      this.o.metrics.count("replies", parts.replies.length);
      this.o.metrics.count("timers_cancelled", parts.cancelTokens.length);
      this.consumeHead(mb, parts);
    } catch (error) {
      this.failed(mb, m, binding.fn.retry, error);
    }
  }

  private consumeHead(mb: Mailbox, parts: Omit<CommitUnit, "committed" | "failed">): void {
    mb.queue.shift();
    mb.attempts = 0;
    mb.pendingCommits++;
    this.o.committer.enqueue({
      ...parts,
      committed: () => {
        mb.pendingCommits--;
      },
    });
    this.bufferedCount--;
    mb.busy = false;
    this.o.released();
    this.schedule(mb);
  }

  private failed(
    mb: Mailbox,
    m: StoredMessage,
    retry: { maxAttempts: number; initialBackoffMs: number; maxBackoffMs: number },
    error: unknown,
  ): void {
    mb.attempts++;
    this.o.metrics.count("invocation_failures");
    const terminal = StatefunError.is(error) && error.terminal;
    const where = { address: mb.address, typename: m.argument.typename, attempt: mb.attempts, error: errorText(error) };
    if (terminal || mb.attempts >= retry.maxAttempts) {
      this.o.logger.warn(where, "message dead-lettered");
      this.o.metrics.count("dead_letters");
      const now = this.o.clock.now();
      const reason = `${terminal ? "rejected" : `failed ${mb.attempts} times`}: ${errorText(error)}`;
      this.consumeHead(
        mb,
        unit({
          touchedKeyGroups: [mb.keyGroup],
          consumed: [m.seq],
          deadLetters: [{ message: m, error: reason, attempts: mb.attempts, failedAt: now }],
        }),
      );
      return;
    }
    this.o.logger.debug(where, "invocation failed, retrying");
    const backoff = Math.min(retry.maxBackoffMs, retry.initialBackoffMs * 2 ** (mb.attempts - 1));
    // The mailbox stays busy during the backoff: later messages of this address wait, others flow.
    this.o.clock.setTimeout(() => {
      mb.busy = false;
      if (!this.stopping) this.schedule(mb);
    }, backoff);
  }

  /** No function is loaded for this type: its messages stay in the store, parked. */
  private park(mb: Mailbox): void {
    const n = mb.queue.clear().length;
    this.parkedCount += n;
    this.bufferedCount -= n;
    mb.busy = false;
    if (mb.pendingCommits === 0) this.mailboxes.delete(mb.key);
    this.o.released();
  }

  /** Forgets the state of idle addresses, oldest first, down to 90% of the cap. */
  private evict(): void {
    const target = Math.floor(this.o.maxCachedAddresses * 0.9);
    for (const [key, mb] of this.mailboxes) {
      if (this.mailboxes.size <= target) break;
      if (mb.idle) this.mailboxes.delete(key);
    }
  }
}
