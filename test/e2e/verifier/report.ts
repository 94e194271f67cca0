import type { EgressSummary } from "./egress.js";
import type { Plan } from "./trees.js";

/** An instance whose final count is not the expected one. */
export interface Mismatch {
  readonly id: string;
  readonly expected: number;
  readonly actual: number;
}

/** Something the chaos hook did, with when and how far the traffic was. */
export interface ChaosEvent {
  readonly atMs: number;
  readonly event: string;
  readonly acknowledged: number;
  readonly total: number;
}

export interface VerifierReport {
  readonly ok: boolean;
  readonly seed: number;
  readonly runId: string;
  /** Count > expected: an effect applied twice. */
  readonly over: readonly Mismatch[];
  /** Count < expected: an effect lost. */
  readonly under: readonly Mismatch[];
  /** Expected egress ids that never arrived. */
  readonly missingEgress: readonly string[];
  /** Egress ids of cancelled messages that arrived: a cancellation was lost. */
  readonly cancelledEgress: readonly string[];
  /** Egress ids produced twice (under different record ids), with the record ids. */
  readonly egressProducedTwice: ReadonlyMap<string, readonly string[]>;
  /** Record ids delivered with different payloads. */
  readonly unstableRecordIds: ReadonlyMap<string, readonly string[]>;
  /** Idempotency keys of acknowledged trees that a resend with the same key got accepted again. */
  readonly resendsAccepted: readonly string[];
  /** Dead letters the runtime reports (none expected), as text. */
  readonly deadLetters: readonly string[];
  readonly chaos: readonly ChaosEvent[];
  readonly stats: {
    readonly ids: number;
    readonly roots: number;
    readonly messages: number;
    readonly cancelled: number;
    readonly egressExpected: number;
    readonly egressDeliveries: number;
    readonly egressRedeliveries: number;
    readonly sendRetries: number;
    /** Retried trees the ingress answered as duplicates (committed before the worker died). */
    readonly duplicateAcks: number;
    /** Acknowledged trees sent again with the same idempotency key. */
    readonly resends: number;
    /** The wait stopped at the first count over: `under` and missing egress are not final. */
    readonly stoppedEarly: boolean;
    /** When every count and egress id was reached (ms after the start), if it was. */
    readonly quiescentAtMs: number | undefined;
    readonly elapsedMs: number;
  };
  /** Human-readable: what failed, the first offenders, and the seed to replay it. */
  readonly message: string;
  /** The driver's progress lines. */
  readonly log: readonly string[];
}

export interface Observed {
  readonly seed: number;
  readonly counts: ReadonlyMap<string, number>;
  readonly egress: EgressSummary;
  readonly deadLetters: readonly string[];
  readonly chaos: readonly ChaosEvent[];
  readonly sendRetries: number;
  readonly duplicateAcks: number;
  readonly resends: number;
  readonly resendsAccepted: readonly string[];
  readonly stoppedEarly: boolean;
  readonly quiescentAtMs: number | undefined;
  readonly elapsedMs: number;
  readonly log: readonly string[];
}

const FIRST = 10;

/** Compares what was observed with the plan. */
export function buildReport(plan: Plan, seen: Observed): VerifierReport {
  const over: Mismatch[] = [];
  const under: Mismatch[] = [];
  for (const id of plan.ids) {
    const expected = plan.expected.get(id) ?? 0;
    const actual = seen.counts.get(id) ?? 0;
    if (actual > expected) over.push({ id, expected, actual });
    else if (actual < expected) under.push({ id, expected, actual });
  }
  const missingEgress = [...plan.egress].filter((id) => !seen.egress.ids.has(id));
  const cancelledEgress = [...plan.cancelledEgress].filter((id) => seen.egress.ids.has(id));
  const unknown = [...seen.egress.ids].filter((id) => !plan.egress.has(id) && !plan.cancelledEgress.has(id));
  const report = {
    seed: seen.seed,
    runId: plan.runId,
    over,
    under,
    missingEgress,
    cancelledEgress: [...cancelledEgress, ...unknown],
    egressProducedTwice: seen.egress.producedTwice,
    unstableRecordIds: seen.egress.unstableRecordIds,
    resendsAccepted: seen.resendsAccepted,
    deadLetters: seen.deadLetters,
    chaos: seen.chaos,
    stats: {
      ids: plan.ids.length,
      roots: plan.roots.length,
      messages: plan.messages,
      cancelled: plan.cancelled,
      egressExpected: plan.egress.size,
      egressDeliveries: seen.egress.deliveries,
      egressRedeliveries: seen.egress.redeliveries,
      sendRetries: seen.sendRetries,
      duplicateAcks: seen.duplicateAcks,
      resends: seen.resends,
      stoppedEarly: seen.stoppedEarly,
      quiescentAtMs: seen.quiescentAtMs,
      elapsedMs: seen.elapsedMs,
    },
    log: seen.log,
  };
  const ok =
    over.length === 0 &&
    under.length === 0 &&
    missingEgress.length === 0 &&
    report.cancelledEgress.length === 0 &&
    report.egressProducedTwice.size === 0 &&
    report.unstableRecordIds.size === 0 &&
    report.resendsAccepted.length === 0 &&
    report.deadLetters.length === 0;
  return { ...report, ok, message: describeReport({ ...report, ok }) };
}

function describeReport(r: Omit<VerifierReport, "message">): string {
  const s = r.stats;
  const kills = r.chaos.length;
  const lines = [
    `crash verifier ${r.ok ? "passed" : "FAILED"}: seed ${r.seed} (replay with VERIFIER_SEED=${r.seed}), run ${r.runId}`,
    `  ${s.ids} ids, ${s.roots} trees, ${s.messages} messages (${s.cancelled} cancelled), ${s.egressExpected} egress ids; ` +
      `${kills} chaos events; ${s.sendRetries} send retries (${s.duplicateAcks} answered as duplicates); ${s.resends} deliberate resends; ${s.egressDeliveries} egress deliveries (${s.egressRedeliveries} redelivered); ` +
      `quiescent ${s.quiescentAtMs === undefined ? "never" : `at ${(s.quiescentAtMs / 1000).toFixed(1)} s`}, ${(s.elapsedMs / 1000).toFixed(1)} s in all`,
  ];
  const counts = (list: readonly Mismatch[]) =>
    `${list.length} of ${s.ids} ids; first: ${list
      .slice(0, FIRST)
      .map((m) => `${m.id} expected ${m.expected} got ${m.actual}`)
      .join(", ")}`;
  const ids = (list: readonly string[], of: number) => `${list.length} of ${of}; first: ${list.slice(0, FIRST).join(", ")}`;
  const pairs = (m: ReadonlyMap<string, readonly string[]>, what: string) =>
    `${m.size}; first: ${[...m]
      .slice(0, FIRST)
      .map(([k, v]) => `${k} (${what} ${v.join(", ")})`)
      .join("; ")}`;
  if (r.over.length > 0) lines.push(`  OVER, an effect was applied twice: ${counts(r.over)}`);
  if (s.stoppedEarly) lines.push("  (stopped waiting at the first count over: the lists below may include work still in flight)");
  if (r.under.length > 0) lines.push(`  UNDER, an effect was lost: ${counts(r.under)}`);
  if (r.missingEgress.length > 0) lines.push(`  MISSING EGRESS, a record never arrived: ${ids(r.missingEgress, s.egressExpected)}`);
  if (r.cancelledEgress.length > 0) {
    lines.push(
      `  EGRESS FROM A CANCELLED OR UNKNOWN MESSAGE, a cancellation was lost: ${ids(r.cancelledEgress, r.cancelledEgress.length)}`,
    );
  }
  if (r.egressProducedTwice.size > 0) {
    lines.push(`  EGRESS PRODUCED TWICE, an effect was applied twice: ${pairs(r.egressProducedTwice, "record ids")}`);
  }
  if (r.unstableRecordIds.size > 0)
    lines.push(`  UNSTABLE RECORD IDS, one id for different records: ${pairs(r.unstableRecordIds, "payloads")}`);
  if (r.resendsAccepted.length > 0) {
    lines.push(`  IDEMPOTENCY KEY IGNORED, an acknowledged tree was accepted again: ${ids(r.resendsAccepted, s.resends)}`);
  }
  if (r.deadLetters.length > 0) lines.push(`  DEAD LETTERS: ${ids(r.deadLetters, r.deadLetters.length)}`);
  for (const c of r.chaos) lines.push(`  chaos at ${(c.atMs / 1000).toFixed(2)} s (${c.acknowledged}/${c.total} trees sent): ${c.event}`);
  return lines.join("\n");
}
