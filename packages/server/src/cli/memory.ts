import { spawn } from "node:child_process";
import { constants } from "node:os";
import { getHeapStatistics } from "node:v8";
import { InvalidArgumentError } from "commander";
import { parseSize } from "./args.js";

const MiB = 1024 * 1024;

/** `statefun run`'s memory budget when `--memory` and `STATEFUN_MEMORY` are not given. */
export const DEFAULT_MEMORY = 512 * MiB;
/** The smallest budget `--memory` takes. */
export const MIN_MEMORY = 256 * MiB;
/**
 * Set in the environment of the worker a launcher started with its heap limit (it does not start
 * another): the launcher's pid when it waits for the worker as its child, `exec` when it became it.
 */
export const HEAP_SET_ENV = "STATEFUN_HEAP_LIMIT_SET";

/** What a memory budget gives the worker. */
export interface MemoryPlan {
  /** The V8 heap limit (`--max-old-space-size`), MiB: 9/16 of the budget. */
  readonly heapMiB: number;
  /** The address cache's default budget (`--cache-memory`), bytes: 1/8 of the budget. */
  readonly cacheBytes: number;
}

/**
 * Splits a worker's memory budget (its resident set, in bytes). The V8 heap gets 9/16: the rest is
 * for what lives outside it (the young generation, SQLite's page cache of up to 64 MiB, Node and
 * its threads). The address cache gets 1/8 of the budget (2/9 of the heap) by default: the other
 * buffers (messages in memory, up to `maxPendingCommits` units waiting to commit, the timers'
 * window) and the collector's headroom take the rest of the heap. Measured with a million live
 * instances: bench/RESULTS.md, "Memory bounded in bytes".
 */
export function memoryPlan(budget: number): MemoryPlan {
  if (!Number.isFinite(budget) || budget < MIN_MEMORY) {
    throw new RangeError(`--memory must be at least ${MIN_MEMORY / MiB}MiB, got ${budget} bytes`);
  }
  return { heapMiB: Math.floor((budget * 9) / 16 / MiB), cacheBytes: Math.floor(budget / 8) };
}

/** `--memory`'s parser: a size of at least `MIN_MEMORY`. */
export function parseMemory(text: string): number {
  const bytes = parseSize(text);
  if (bytes < MIN_MEMORY) throw new InvalidArgumentError(`expected at least ${MIN_MEMORY / MiB}MiB, got ${text}.`);
  return bytes;
}

/** Where the launcher looks for the budget and for a heap limit set by hand. */
export interface LaunchContext {
  /** `process.argv` (node, script, arguments). */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Node's own options (`process.execArgv`). */
  readonly execArgv: readonly string[];
}

/** The `--memory` budget of a `statefun run` command line (or `STATEFUN_MEMORY`, or the default); undefined for another command. */
export function runMemoryBudget(ctx: LaunchContext): number | undefined {
  const args = ctx.argv.slice(2);
  if (args.find((a) => !a.startsWith("-")) !== "run") return undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") break;
    if (a === "--memory" && args[i + 1] !== undefined) return parseSize(args[i + 1]!);
    if (a.startsWith("--memory=")) return parseSize(a.slice("--memory=".length));
  }
  const env = ctx.env.STATEFUN_MEMORY;
  return env === undefined || env === "" ? DEFAULT_MEMORY : parseSize(env);
}

/**
 * The node arguments to start `statefun run` again with the heap limit of its memory budget;
 * undefined when there is nothing to do: another command, a heap limit given by hand (in
 * `NODE_OPTIONS` or node's own arguments: it wins), or this process is the one started so.
 * A bad `--memory` is left to the command line's parser (it says what is wrong).
 */
export function relaunchArgs(ctx: LaunchContext): string[] | undefined {
  if (ctx.env[HEAP_SET_ENV] !== undefined) return undefined;
  const byHand = (s: string) => /--max-old-space-size\b|--max_old_space_size\b/.test(s);
  if (ctx.execArgv.some(byHand) || byHand(ctx.env.NODE_OPTIONS ?? "")) return undefined;
  let budget: number | undefined;
  try {
    budget = runMemoryBudget(ctx);
    if (budget === undefined) return undefined;
    const { heapMiB } = memoryPlan(budget);
    return [...ctx.execArgv, `--max-old-space-size=${heapMiB}`, ...ctx.argv.slice(1)];
  } catch {
    return undefined;
  }
}

/**
 * Gives `statefun run` the heap limit of its memory budget: V8's default limit (a quarter of the
 * machine's memory, or more) lets the heap grow far past what the worker needs before it
 * collects. Replaces this process with node started with `--max-old-space-size` where Node can
 * (`process.execve`, Node 22.15 and later); elsewhere starts it as a child and waits for it,
 * passing signals on (it runs in a process group of its own, so a Ctrl-C reaches it once, through
 * this process), and resolves to its exit code. Resolves to undefined without starting anything
 * when `relaunchArgs` says there is nothing to do: the caller then runs the command itself.
 */
export function relaunchWithHeapLimit(ctx: LaunchContext = process): Promise<number> | undefined {
  const args = relaunchArgs(ctx);
  if (args === undefined) return undefined;
  const execve = (process as { execve?: (file: string, args: string[], env: Record<string, string | undefined>) => never }).execve;
  if (execve !== undefined) execve(process.execPath, [process.execPath, ...args], { ...ctx.env, [HEAP_SET_ENV]: "exec" });
  const env = { ...ctx.env, [HEAP_SET_ENV]: String(process.pid) };
  const child = spawn(process.execPath, args, { stdio: "inherit", env, detached: true });
  const pass = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, pass);
  return new Promise((resolve) => {
    child.on("error", (error) => {
      console.error(`statefun: could not start node with a heap limit: ${error.message}`);
      resolve(1);
    });
    child.on("exit", (code, signal) => resolve(code ?? (signal === null ? 1 : 128 + (constants.signals[signal] ?? 0))));
  });
}

/**
 * In a worker its launcher started as a child: dies at once (as by SIGKILL) when the launcher is
 * gone without having stopped it (killed with SIGKILL itself), so a `kill -9` of the command
 * kills the worker, as it would without a launcher.
 */
export function dieWithLauncher(env: Readonly<Record<string, string | undefined>> = process.env): void {
  const launcher = Number(env[HEAP_SET_ENV]);
  if (!Number.isInteger(launcher) || launcher !== process.ppid) return;
  const timer = setInterval(() => {
    if (process.ppid !== launcher) process.kill(process.pid, "SIGKILL");
  }, 100);
  timer.unref();
}

/** The `--max-old-space-size` this process runs with (node's options, then `NODE_OPTIONS`; the last one wins), MiB; undefined when none is set. */
export function oldSpaceLimitMiB(ctx: Pick<LaunchContext, "env" | "execArgv"> = process): number | undefined {
  const options = [...(ctx.env.NODE_OPTIONS ?? "").split(/\s+/), ...ctx.execArgv];
  let limit: number | undefined;
  for (const option of options) {
    const match = /^--max[-_]old[-_]space[-_]size=(\d+)$/.exec(option);
    if (match !== null) limit = Number(match[1]);
  }
  return limit;
}

/**
 * The startup line about memory. It names the old-space limit the budget set (9/16 of it) and
 * V8's whole heap limit, which is larger by the young generation; without a limit set, V8's own.
 */
export function memoryLine(cacheBytes: number, ctx: Pick<LaunchContext, "env" | "execArgv"> = process): string {
  const heap = Math.round(getHeapStatistics().heap_size_limit / MiB);
  const oldSpace = oldSpaceLimitMiB(ctx);
  const limit =
    oldSpace === undefined
      ? `V8 heap limit ${heap}MiB (V8's default: no --max-old-space-size)`
      : `old-space limit ${oldSpace}MiB (V8 heap limit ${heap}MiB with the young generation)`;
  return `memory: ${limit}, instance cache ${Math.round(cacheBytes / MiB)}MiB`;
}
