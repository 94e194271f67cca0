/**
 * Workers as child processes: started, waited for (`/readyz`), killed with SIGKILL (or
 * frozen with SIGSTOP and resumed) and restarted on the same data directory or store. Their stdout and stderr go to a log file, appended
 * across restarts, to print when a test fails. Every child still alive is killed by
 * `killAllWorkers()` (call it in `afterAll`) and when this process exits.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, writeSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { sleep } from "./http.js";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const CLI = fileURLToPath(new URL("../../../packages/server/dist/cli/main.js", import.meta.url));
export const VERIFIER_MODULE = fileURLToPath(new URL("./module.ts", import.meta.url));

/** The ports a worker opens without an offset (DESIGN §5). */
export const BASE_PORTS = { admin: 8081, ingress: 8090, egress: 8091 } as const;

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

export interface WorkerOptions {
  /** Arguments of `node`: a script and its arguments. */
  readonly args: readonly string[];
  readonly portOffset: number;
  readonly logFile: string;
  readonly env?: NodeJS.ProcessEnv;
  /** How long `start` waits for `/readyz` (default 30 s). */
  readonly readyTimeoutMs?: number;
  /** A command that runs `node` with the arguments (its own arguments first), e.g. `unshare --mount …`; it must exec node in its place. */
  readonly wrapper?: readonly string[];
}

export class WorkerProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private killing: ChildProcess | undefined;
  starts = 0;
  /** How the last process exited (`exit code 0`, `SIGKILL`). */
  private lastExit: string | undefined;
  kills = 0;
  /** Exits nobody asked for (a crash of the worker itself), e.g. `exit code 1 after 2.3 s`: a failure. */
  readonly unexpectedExits: string[] = [];

  constructor(readonly options: WorkerOptions) {}

  /** `statefun run MODULE --data DIR --port-offset N`, through the built CLI. */
  static cli(module: string, o: { dataDir: string; portOffset: number; logFile: string }): WorkerProcess {
    const args = [CLI, "run", module, "--data", o.dataDir, "--port-offset", String(o.portOffset)];
    return new WorkerProcess({ args, portOffset: o.portOffset, logFile: o.logFile });
  }

  /**
   * `statefun run MODULE --store URL --port-offset N`: a cluster worker on a shared store
   * (PostgreSQL), with extra arguments such as `--heartbeat`.
   */
  static clusterCli(module: string, o: { store: string; portOffset: number; logFile: string; extra?: readonly string[] }): WorkerProcess {
    const args = [CLI, "run", module, "--store", o.store, "--port-offset", String(o.portOffset), ...(o.extra ?? [])];
    return new WorkerProcess({ args, portOffset: o.portOffset, logFile: o.logFile });
  }

  get urls(): { admin: string; ingress: string; egress: string } {
    const url = (port: number) => `http://127.0.0.1:${port + this.options.portOffset}`;
    return { admin: url(BASE_PORTS.admin), ingress: url(BASE_PORTS.ingress), egress: url(BASE_PORTS.egress) };
  }

  /** The process id while it runs (with a `wrapper`, node's: the wrapper execs it). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Starts the process and resolves once it is ready and its ingress and egress ports accept connections. */
  async start(): Promise<void> {
    if (this.child !== undefined) throw new Error("the worker is already running");
    this.starts++;
    const fd = openSync(this.options.logFile, "a");
    const shown = [...(this.options.wrapper ?? []), "node", ...this.options.args].join(" ");
    writeSync(fd, `\n--- start #${this.starts} at ${new Date().toISOString()}: ${shown}\n`);
    const [command, ...prefix] = [...(this.options.wrapper ?? []), process.execPath];
    const child = spawn(command!, [...prefix, ...this.options.args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...this.options.env },
      stdio: ["ignore", fd, fd],
    });
    closeSync(fd);
    live.add(child);
    this.child = child;
    let exit: string | undefined;
    const spawnedAt = Date.now();
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        live.delete(child);
        exit = signal ?? `exit code ${code}`;
        this.lastExit = exit;
        if (this.killing !== child)
          this.unexpectedExits.push(`${exit} ${((Date.now() - spawnedAt) / 1000).toFixed(1)} s after start #${this.starts}`);
        if (this.child === child) this.child = undefined;
        resolve();
      }),
    );
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 30_000);
    const { admin, ingress, egress } = this.urls;
    for (;;) {
      if (exit !== undefined) throw new Error(`the worker exited while starting (${exit}):\n${this.logTail()}`);
      if ((await status(`${admin}/readyz`)) === 200 && (await accepts(ingress)) && (await accepts(egress))) return;
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(`the worker was not ready within ${this.options.readyTimeoutMs ?? 30_000} ms:\n${this.logTail()}`);
      }
      await sleep(25);
    }
  }

  /** SIGTERM: the worker's own graceful stop. Resolves once the process is gone, with how it exited (`exit code 0`). */
  async stop(): Promise<string | undefined> {
    const child = this.child;
    if (child === undefined) return this.lastExit;
    this.killing = child;
    child.kill("SIGTERM");
    await this.exited;
    return this.lastExit;
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed. Resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    this.kills++;
    this.killing = child;
    child.kill("SIGKILL");
    await this.exited;
  }

  /** SIGSTOP: the process stays alive but runs nothing (no heartbeat) until `resume()`. */
  freeze(): void {
    if (this.child === undefined) throw new Error("the worker is not running");
    this.child.kill("SIGSTOP");
  }

  /** SIGCONT after `freeze()`. */
  resume(): void {
    this.child?.kill("SIGCONT");
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  log(): string {
    return existsSync(this.options.logFile) ? readFileSync(this.options.logFile, "utf8") : "";
  }

  logTail(lines = 60): string {
    return this.log().split("\n").slice(-lines).join("\n");
  }
}

/** Kills every worker child still alive. */
export async function killAllWorkers(): Promise<void> {
  const waits = [...live].map(
    (child) => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", () => resolve()))),
  );
  for (const child of live) child.kill("SIGKILL");
  await Promise.all(waits);
}

/** Offsets handed out by this process: concurrent tests must not pick overlapping ports. */
const reserved = new Set<number>();

/**
 * A port offset whose three ports are free now and overlap no offset handed out before in
 * this process: derived from the vitest worker id (so parallel test files differ) plus a
 * random part, from 5000 (test/acceptance picks 3000–5000 unchecked) to below the
 * ephemeral port range (32768).
 */
export async function freePortOffset(): Promise<number> {
  const pool = Number(process.env.VITEST_POOL_ID ?? process.env.VITEST_WORKER_ID ?? 0) || 0;
  const portsOf = (offset: number) => Object.values(BASE_PORTS).map((p) => p + offset);
  const overlaps = (offset: number) => {
    const ports = new Set(portsOf(offset));
    return [...reserved].some((r) => portsOf(r).some((p) => ports.has(p)));
  };
  for (let attempt = 0; attempt < 50; attempt++) {
    const offset = 5000 + (pool % 8) * 2300 + Math.floor(Math.random() * 2300);
    if (overlaps(offset)) continue;
    const free = (await Promise.all(portsOf(offset).map(isFree))).every(Boolean);
    // Checked again after the wait: a concurrent call may have taken it meanwhile.
    if (free && !overlaps(offset)) {
      reserved.add(offset);
      return offset;
    }
  }
  throw new Error("no free port offset found after 50 attempts");
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

async function status(url: string): Promise<number | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return undefined;
  }
}

/** True when something listens at the URL (any HTTP answer). */
async function accepts(url: string): Promise<boolean> {
  return (await status(`${url}/`)) !== undefined;
}
