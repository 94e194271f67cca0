/**
 * The crash verifier's driver, in the style of Apache Flink StateFun's smoke test: it sends
 * random command trees to `verifier/counter` instances over HTTP while a chaos hook kills
 * and restarts workers, consumes the egress topic, waits for quiescence, and checks that
 * every instance's count is exactly the expected one and that every egress record arrived.
 *
 * It knows nothing of processes or languages: give it the ingress, egress and admin URLs of
 * any deployment (one worker, a cluster, remote functions in Python or Go) and a chaos hook.
 */
import { EgressCollector } from "./egress.js";
import { sleep } from "./http.js";
import { chooseSeed, Random } from "./random.js";
import { buildReport, type ChaosEvent, type VerifierReport } from "./report.js";
import { Sender, type SendOptions, type Traffic } from "./sender.js";
import { adminCountReader, readCounts, readDeadLetters } from "./state.js";
import { DEFAULT_SHAPE, type Plan, planTrees, type TreeShape } from "./trees.js";

export type { ChaosEvent, Mismatch, VerifierReport } from "./report.js";
export type { Traffic } from "./sender.js";
export { adminCountReader } from "./state.js";

/** Runs while the trees are sent (kills, restarts, partitions…); the driver waits for it before checking. */
export type Chaos = (traffic: Traffic) => Promise<void>;

export interface VerifierOptions extends SendOptions {
  /** Egress base URLs, every one consumed. */
  readonly egress: readonly string[];
  /** Admin base URLs, for state and dead letters. */
  readonly admin: readonly string[];
  /** Default `VERIFIER_SEED`, else random. */
  readonly seed?: number;
  /** Prefix of every id of this run (default unique per run, so a shared store is fine). */
  readonly runId?: string;
  readonly shape?: Partial<TreeShape>;
  /** `namespace/type` of the function (default `verifier/counter`). */
  readonly functionType?: string;
  readonly topic?: string;
  /** How long counts may take to reach the expected ones after sending (default 30 s). */
  readonly quiescenceTimeoutMs?: number;
  /** Extra wait past the last cancelled message's due time (default 2 s). */
  readonly cancelMarginMs?: number;
  /** Stop waiting as soon as a count is over (it can only grow): the run fails anyway (default true). */
  readonly stopOnOver?: boolean;
  /** `per-url` when each egress URL serves its own store (record ids may repeat across them). */
  readonly recordScope?: "global" | "per-url";
  readonly chaos?: Chaos;
  /** Reads an instance's count (default: the admin API's `GET /v1/state/...`). */
  readonly readCount?: (id: string) => Promise<number>;
  /** Progress lines (also kept in the report). */
  readonly log?: (line: string) => void;
}

/** Sends, disturbs, waits, checks. Resolves with the report (check `ok`); rejects only when the deployment never answered. */
export async function runVerifier(options: VerifierOptions): Promise<VerifierReport> {
  const seed = options.seed ?? chooseSeed();
  const started = Date.now();
  const lines: string[] = [];
  const log = (line: string) => {
    const text = `[verifier +${((Date.now() - started) / 1000).toFixed(2)}s] ${line}`;
    lines.push(text);
    options.log?.(text);
  };
  const shape = { ...DEFAULT_SHAPE, ...options.shape };
  const runId = options.runId ?? `v${seed.toString(36)}${Date.now().toString(36)}`;
  const plan = planTrees(new Random(seed), shape, runId);
  const functionType = options.functionType ?? "verifier/counter";
  log(`seed ${seed}: ${plan.ids.length} ids, ${plan.roots.length} trees, ${plan.messages} messages, ${plan.egress.size} egress ids`);

  const egress = new EgressCollector(options.egress, options.topic ?? "verified", `${runId}-`, options.recordScope);
  egress.start();
  const chaos: ChaosEvent[] = [];
  const sender = new Sender(plan, options, functionType, started, new Random(seed ^ 0x7e5e), (event) => {
    chaos.push({ atMs: Date.now() - started, event, acknowledged: sender.acknowledged, total: plan.roots.length });
    log(`chaos: ${event}`);
  });
  try {
    const sending = sender.run();
    const disturbing = (options.chaos?.(sender.traffic()) ?? Promise.resolve()).then(
      () => sender.release(),
      (error: unknown) => {
        sender.abort();
        sender.release();
        throw error;
      },
    );
    // Both settle before going on, so no kill or restart outlives a failed run.
    const settled = await Promise.allSettled([disturbing, sending]);
    for (const s of settled) if (s.status === "rejected") throw s.reason;
    log(`sent ${plan.roots.length} trees (${sender.retries} retries)`);

    const readCount = options.readCount ?? adminCountReader(options.admin, functionType);
    const quiet = await awaitQuiescence(plan, egress, readCount, options.quiescenceTimeoutMs ?? 30_000, options.stopOnOver ?? true, log);
    let counts = quiet.counts;
    if (!quiet.over) {
      // A lost cancellation fires cancelDelayMs after its invocation, which ran before quiescence.
      const until = (quiet.at ?? Date.now()) + shape.cancelDelayMs + (options.cancelMarginMs ?? 2000);
      log(`waiting ${((until - Date.now()) / 1000).toFixed(1)} s past the last cancelled message's due time`);
      await sleep(until - Date.now());
      counts = await readCounts(plan.ids, readCount);
    }
    await egress.stop();
    const deadLetters = await readDeadLetters(options.admin, runId);
    const report = buildReport(plan, {
      seed,
      counts,
      egress: egress.summary(),
      deadLetters,
      chaos,
      sendRetries: sender.retries,
      quiescentAtMs: quiet.at === undefined ? undefined : quiet.at - started,
      stoppedEarly: quiet.over && (options.stopOnOver ?? true),
      duplicateAcks: sender.duplicates,
      resends: sender.resends,
      resendsAccepted: sender.resendsAccepted,
      elapsedMs: Date.now() - started,
      log: lines,
    });
    log(report.ok ? "passed" : "FAILED");
    return report;
  } catch (error) {
    sender.abort();
    await egress.stop();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`crash verifier could not run (seed ${seed}, replay with VERIFIER_SEED=${seed}): ${reason}\n${lines.join("\n")}`, {
      cause: error,
    });
  }
}

/** Waits until every count and egress id is reached (or one count is over, or the deadline). */
async function awaitQuiescence(
  plan: Plan,
  egress: EgressCollector,
  readCount: (id: string) => Promise<number>,
  timeoutMs: number,
  stopOnOver: boolean,
  log: (line: string) => void,
): Promise<{ counts: Map<string, number>; at: number | undefined; over: boolean }> {
  const deadline = Date.now() + timeoutMs;
  let lastProgress = "";
  for (;;) {
    const counts = await readCounts(plan.ids, readCount);
    let reached = 0;
    let over = false;
    for (const id of plan.ids) {
      const actual = counts.get(id) ?? 0;
      const expected = plan.expected.get(id) ?? 0;
      if (actual === expected) reached++;
      if (actual > expected) over = true;
    }
    const missing = [...plan.egress].filter((id) => !egress.has(id)).length;
    const progress = `${reached}/${plan.ids.length} counts reached, ${missing} egress ids missing${over ? ", a count is OVER" : ""}`;
    if (progress !== lastProgress) log(progress);
    lastProgress = progress;
    if (over && stopOnOver) return { counts, at: undefined, over };
    if (reached === plan.ids.length && missing === 0) return { counts, at: Date.now(), over };
    if (Date.now() >= deadline) {
      log(`not quiescent after ${timeoutMs} ms: ${progress}`);
      return { counts, at: undefined, over };
    }
    await sleep(250);
  }
}
