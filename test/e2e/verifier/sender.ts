import { RequestFailed, requestWithRetry, sleep } from "./http.js";
import type { Random } from "./random.js";
import type { Plan, Root } from "./trees.js";

/** What a chaos hook sees of the traffic, and how it records what it did. */
export interface Traffic {
  readonly total: number;
  /** Trees acknowledged (2xx) so far. The last 10% are held back until the hook is done: never wait for more than 90%. */
  readonly acknowledged: number;
  /** Every tree is acknowledged (only after the hook is done, see `acknowledged`). */
  readonly finished: boolean;
  /** Sending gave up (the run fails): the hook should stop. */
  readonly stopped: boolean;
  readonly elapsedMs: number;
  /** Records a chaos event (a kill, a restart) in the report. */
  record(event: string): void;
}

/** How trees are sent. */
export interface SendOptions {
  /** Ingress base URLs (`http://127.0.0.1:8090`); a tree goes to any of them, the next one on failure. */
  readonly ingress: readonly string[];
  /** Trees are sent evenly over this long (default 12 s), so chaos always meets traffic. */
  readonly sendWindowMs?: number;
  /**
   * Share of acknowledged trees sent again later with the same idempotency key, as a client
   * whose answer was lost would (default 0.05): each must be answered as a duplicate.
   */
  readonly resendShare?: number;
  /** Trees in flight at once (default 32). */
  readonly concurrency?: number;
}

/** Share of the trees (the last ones) that wait for the chaos hook to finish. */
const HELD_SHARE = 0.1;

/**
 * Sends every tree once (retries share its idempotency key), paced evenly over the send
 * window; the last 10% wait until `release()`, so a chaos hook that kills at up to 90% of
 * the traffic always meets traffic, however long its restarts take.
 */
export class Sender {
  acknowledged = 0;
  retries = 0;
  /** Retries answered as duplicates: the first attempt had committed, its answer was lost. */
  duplicates = 0;
  /** Acknowledged trees sent again on purpose with the same key. */
  resends = 0;
  /** Keys of those resends answered as new requests: the idempotency key was ignored. */
  readonly resendsAccepted: string[] = [];
  private finished = false;
  private aborted = false;
  /** The last trees wait for this (the chaos hook's end), so every disturbance meets traffic. */
  private readonly held: Promise<void>;
  private releaseHeld!: () => void;

  constructor(
    private readonly plan: Plan,
    private readonly options: SendOptions,
    private readonly functionType: string,
    private readonly started: number,
    private readonly random: Random,
    private readonly record: (event: string) => void,
  ) {
    this.held = new Promise((resolve) => {
      this.releaseHeld = resolve;
    });
  }

  /** Lets the held-back trees go (call when the chaos hook is done). */
  release(): void {
    this.releaseHeld();
  }

  traffic(): Traffic {
    const self = this;
    return {
      total: this.plan.roots.length,
      get acknowledged() {
        return self.acknowledged;
      },
      get finished() {
        return self.finished;
      },
      get stopped() {
        return self.aborted;
      },
      get elapsedMs() {
        return Date.now() - self.started;
      },
      record: this.record,
    };
  }

  abort(): void {
    this.aborted = true;
  }

  async run(): Promise<void> {
    const roots = this.plan.roots;
    const window = this.options.sendWindowMs ?? 12_000;
    const begin = Date.now();
    const resendShare = this.options.resendShare ?? 0.05;
    const resends: Promise<void>[] = [];
    const heldFrom = Math.ceil(roots.length * (1 - HELD_SHARE));
    let next = 0;
    const worker = async () => {
      while (next < roots.length && !this.aborted) {
        const i = next++;
        await sleep(begin + (i * window) / roots.length - Date.now());
        if (i >= heldFrom) await this.held;
        const root = roots[i]!;
        if (await this.send(root)) this.duplicates++;
        this.acknowledged++;
        if (this.random.next() < resendShare) {
          const resend = sleep(this.random.int(0, 3000)).then(() => this.resend(root));
          resends.push(resend);
          resend.catch(() => {}); // awaited below; handled here so it is not reported early
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: this.options.concurrency ?? 32 }, worker));
      await Promise.all(resends);
    } catch (error) {
      this.aborted = true;
      throw error;
    } finally {
      this.finished = true;
    }
  }

  private async resend(root: Root): Promise<void> {
    if (this.aborted) return;
    this.resends++;
    if (!(await this.send(root))) this.resendsAccepted.push(root.key);
  }

  /** Resolves with whether the ingress answered it as a duplicate. */
  private async send(root: Root): Promise<boolean> {
    const path = `/${this.functionType}/${encodeURIComponent(root.id)}`;
    const init: RequestInit = {
      method: "PUT",
      headers: { "content-type": "application/vnd.verifier/Commands", "idempotency-key": root.key },
      body: JSON.stringify({ cmds: root.cmds }),
    };
    const response = await requestWithRetry(this.options.ingress, path, init, {
      onRetry: () => {
        this.retries++;
      },
      stopped: () => this.aborted,
    });
    await response.arrayBuffer();
    if (response.status !== 202 && response.status !== 200) {
      throw new RequestFailed(`PUT ${path} (tree ${root.key}) answered HTTP ${response.status}`, response.status);
    }
    return response.headers.get("statefun-duplicate") === "true";
  }
}
