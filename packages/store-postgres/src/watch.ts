import type { StoreChange } from "@statefun-ts/runtime/spi";
import pg from "pg";
import { parseChange } from "./notify.js";

const RETRY_MS = [50, 100, 250, 500, 1000, 2000];

/**
 * `LISTEN`s to a channel on a dedicated connection (not one of the pool's) while it has
 * listeners, and calls them with each notification. When the connection drops, it reconnects
 * with a growing pause and then calls the listeners with `{}` ("check everything"): commits may
 * have been announced meanwhile. `ready` settles once the first `LISTEN` succeeded or failed.
 */
export class Watcher {
  private readonly config: pg.ClientConfig;
  private readonly channel: string;
  private readonly listeners = new Set<(change: StoreChange) => void>();
  private client: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private connecting: Promise<void> | undefined;

  constructor(config: pg.ClientConfig, channel: string) {
    this.config = config;
    this.channel = channel;
  }

  /** Settles when the first connection is listening (or failed to): commits wait for it, so a watcher never misses its own process's commits. */
  get ready(): Promise<void> | undefined {
    return this.connecting;
  }

  add(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1 && this.client === undefined && this.timer === undefined) {
      this.connecting = this.connect(false);
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  stop(): void {
    this.listeners.clear();
    clearTimeout(this.timer);
    this.timer = undefined;
    const client = this.client;
    this.client = undefined;
    this.connecting = undefined;
    void client?.end().catch(() => {});
  }

  private emit(change: StoreChange): void {
    for (const listener of [...this.listeners]) listener(change);
  }

  private async connect(again: boolean): Promise<void> {
    const client = new pg.Client(this.config);
    this.client = client;
    const dropped = () => {
      if (this.client !== client) return;
      this.client = undefined;
      void client.end().catch(() => {});
      this.retry();
    };
    client.on("error", dropped);
    client.on("end", dropped);
    client.on("notification", (n) => {
      if (this.client === client && n.channel === this.channel) this.emit(parseChange(n.payload));
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
      this.failures = 0;
      if (again && this.client === client) this.emit({});
    } catch {
      dropped();
    }
  }

  private retry(): void {
    if (this.listeners.size === 0 || this.timer !== undefined) return;
    const pause = RETRY_MS[Math.min(this.failures++, RETRY_MS.length - 1)]!;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.listeners.size > 0 && this.client === undefined) void this.connect(true);
    }, pause);
    this.timer.unref();
  }
}
