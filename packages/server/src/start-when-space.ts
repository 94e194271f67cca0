import { isNoSpace, type Logger } from "@statefun-ts/runtime";

/** First wait before a start that failed for lack of disk space is tried again; it doubles up to `MAX_DELAY_MS`. */
const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 5_000;

/**
 * Starts the runtime, and when the store cannot open or recover for lack of disk space, waits for
 * space instead of exiting: the start is tried again with a backoff, while `problems` tells
 * `/readyz` why the worker is not ready (the admin API, `/healthz` included, is already up).
 * Any other failure is thrown as it is.
 */
export class StartWhenSpace {
  private waitingSince: number | undefined;

  constructor(private readonly logger: Logger) {}

  /** Why the worker is not ready yet, for `/readyz`. */
  problems(): string[] {
    return this.waitingSince === undefined ? [] : ["the store's disk is full: the worker starts once space returns"];
  }

  async start(runtime: { start(): Promise<void> }): Promise<void> {
    let delayMs = FIRST_DELAY_MS;
    for (;;) {
      try {
        await runtime.start();
        if (this.waitingSince !== undefined) {
          this.logger.info({ waitedMs: Date.now() - this.waitingSince }, "the store's disk has space again: the worker starts");
          this.waitingSince = undefined;
        }
        return;
      } catch (error) {
        if (!isNoSpace(error)) throw error;
        if (this.waitingSince === undefined) {
          this.waitingSince = Date.now();
          this.logger.error(
            { error: String(error) },
            "the store's disk is full: the worker starts once space returns (the admin API, /healthz and /readyz answer meanwhile)",
          );
        }
      }
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(MAX_DELAY_MS, delayMs * 2);
    }
  }
}
