import logUpdate from "log-update";
import { ADMIN_TOKEN_ENV } from "../http/auth.js";
import type { StatsSample } from "../stats/history.js";
import { CliError } from "./client.js";

export interface TopArgs {
  readonly admin: string;
  /** Refresh period in ms. */
  readonly intervalMs: number;
  /** Print one frame and exit (for scripts). */
  readonly once: boolean;
  /** Seconds the rates are averaged over. */
  readonly windowSeconds: number;
}

interface Info {
  readonly version: string;
  readonly worker: string;
  readonly store: string;
  readonly ready: boolean;
  readonly uptimeSeconds: number;
}

const pad = (text: string, width: number) => (text.length >= width ? text.slice(0, width) : text + " ".repeat(width - text.length));
const lpad = (text: string, width: number) => (text.length >= width ? text : " ".repeat(width - text.length) + text);

function num(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return "-";
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
  if (a >= 100 || Number.isInteger(v)) return String(Math.round(v));
  return v.toFixed(1);
}
const ms = (seconds: number | null | undefined) => (seconds === null || seconds === undefined ? "-" : `${num(seconds * 1000)}ms`);

/** One screen of `statefun top`: the worker, its totals over the window, and each function type, busiest first. */
export function renderTop(info: Info, samples: readonly StatsSample[]): string {
  const n = Math.max(1, samples.length);
  const rate = (pick: (s: StatsSample) => number) => samples.reduce((sum, s) => sum + pick(s), 0) / n;
  const last = samples[samples.length - 1];
  const lastWith = (pick: (s: StatsSample) => number | null) =>
    [...samples]
      .reverse()
      .map(pick)
      .find((v) => v !== null) ?? null;
  const lines = [
    `statefun ${info.version} · worker ${info.worker} · ${info.store} · ${info.ready ? "ready" : "not ready"} · up ${info.uptimeSeconds}s`,
    `in ${num(rate((s) => s.ingress))}/s  invocations ${num(rate((s) => s.invocations))}/s  out ${num(rate((s) => s.sent + s.egress))}/s  failures ${num(rate((s) => s.failures))}/s  latency p50 ${ms(lastWith((s) => s.latencyP50))} p99 ${ms(lastWith((s) => s.latencyP99))}`,
    `backlog ${num(last?.backlog)}  buffered ${num(last?.buffered)}  parked ${num(last?.parked)}  dead letters ${num(last?.deadLettersStored)}  egress waiting ${num(last?.egressDepth)}  commits ${num(rate((s) => s.commits))}/s`,
    "",
    `${pad("FUNCTION TYPE", 34)}${["IN/S", "INV/S", "OUT/S", "FAIL/S", "P50", "P99", "QUEUED", "RETRY"].map((h) => lpad(h, 9)).join("")}`,
  ];
  const types = new Set(samples.flatMap((s) => Object.keys(s.functions)));
  const rows = [...types].map((type) => {
    const of = (pick: (f: StatsSample["functions"][string]) => number) => rate((s) => (s.functions[type] ? pick(s.functions[type]) : 0));
    const latest = [...samples].reverse().find((s) => s.functions[type]?.latencyP50 != null)?.functions[type];
    const g = last?.functions[type];
    return {
      invocations: of((f) => f.invocations),
      line: `${pad(type, 34)}${[
        num(of((f) => f.in)),
        num(of((f) => f.invocations)),
        num(of((f) => f.sent + f.egress)),
        num(of((f) => f.failures)),
        ms(latest?.latencyP50),
        ms(latest?.latencyP99),
        num(g?.queued ?? 0),
        num(g?.retrying ?? 0),
      ]
        .map((c) => lpad(c, 9))
        .join("")}`,
    };
  });
  rows.sort((a, b) => b.invocations - a.invocations);
  if (rows.length === 0) lines.push("(no function has run yet)");
  return [...lines, ...rows.map((r) => r.line)].join("\n");
}

async function fetchJson<T>(url: string): Promise<T> {
  const token = process.env[ADMIN_TOKEN_ENV];
  let res: Response;
  try {
    res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
    throw new CliError(`cannot reach the admin API at ${new URL(url).origin}: ${cause}`);
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: string };
    throw new CliError(`${url}: HTTP ${res.status}${body.error ? `: ${body.error}` : ""}`);
  }
  return (await res.json()) as T;
}

async function frame(args: TopArgs): Promise<string> {
  const [info, stats] = await Promise.all([
    fetchJson<Info>(`${args.admin}/v1/info`),
    fetchJson<{ samples: StatsSample[] }>(`${args.admin}/v1/stats?window=${args.windowSeconds}`),
  ]);
  return renderTop(info, stats.samples);
}

/** `statefun top`: the live numbers of a worker, refreshed in place until Ctrl-C (or one frame with `--once`). */
export async function topCommand(args: TopArgs, write: (text: string) => void = (t) => process.stdout.write(t)): Promise<void> {
  if (args.once) {
    write(`${await frame(args)}\n`);
    return;
  }
  const stop = new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
  for (;;) {
    logUpdate(await frame(args));
    const stopped = await Promise.race([stop.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), args.intervalMs))]);
    if (stopped) break;
  }
  logUpdate.done();
}
