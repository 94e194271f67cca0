import { statfs } from "node:fs/promises";
import type { Logger } from "@statefun-ts/runtime";

/** Free bytes of the file system holding `dir`. */
export type FreeBytes = (dir: string) => Promise<number>;

const freeBytes: FreeBytes = async (dir) => {
  const stats = await statfs(dir);
  return stats.bavail * stats.bsize;
};

export interface FreeSpaceOptions {
  readonly dir: string;
  /** Below this many free bytes, the watch is `low`. */
  readonly minFreeBytes: number;
  /** How often free space is read (default 1 s). */
  readonly everyMs?: number;
  readonly logger: Logger;
  /** How free space is read (tests); default `fs.statfs`. */
  readonly read?: FreeBytes;
}

/**
 * Watches the free space of the store's file system: `low` while it is under the watermark, so
 * the ingress refuses new messages before a full disk fails a commit; it clears by itself when
 * space returns.
 */
export class FreeSpaceWatch {
  private timer: NodeJS.Timeout | undefined;
  private isLow = false;
  private lastFree: number | undefined;

  constructor(private readonly options: FreeSpaceOptions) {}

  get low(): boolean {
    return this.isLow;
  }

  /** Free bytes at the last reading. */
  get free(): number | undefined {
    return this.lastFree;
  }

  /** Reads free space once, then every `everyMs`. */
  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), this.options.everyMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Reads free space now and updates `low`. */
  async check(): Promise<void> {
    const { dir, minFreeBytes, logger } = this.options;
    let free: number;
    try {
      free = await (this.options.read ?? freeBytes)(dir);
    } catch (err) {
      logger.warn({ err, dir }, "cannot read the free space of the data directory");
      return;
    }
    this.lastFree = free;
    const low = free < minFreeBytes;
    if (low && !this.isLow) {
      logger.error(
        { dir, free, minFreeBytes },
        "free disk space is below the watermark: the ingress refuses new messages (507) until space returns",
      );
    } else if (!low && this.isLow) {
      logger.info({ dir, free, minFreeBytes }, "free disk space is above the watermark again: the ingress accepts messages");
    }
    this.isLow = low;
  }
}
