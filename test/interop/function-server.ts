/**
 * A function server of an official StateFun SDK as a child process: started on a free loopback
 * port (it prints `listening on http://127.0.0.1:PORT`), logged to a file, stopped with SIGKILL
 * (it keeps nothing). And the module file that points our runtime at it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sleep } from "../e2e/verifier/http.js";

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

export interface FunctionServerCommand {
  /** "Python", "Go": for messages. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export class FunctionServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly logFile: string,
    private readonly exited: Promise<void>,
  ) {}

  /** Starts the server and resolves once it listens on the port it prints. */
  static async start(c: FunctionServerCommand, logFile: string, timeoutMs = 20_000): Promise<FunctionServer> {
    const fd = openSync(logFile, "a");
    const child = spawn(c.command, [...c.args], { cwd: c.cwd, env: { ...process.env, ...c.env }, stdio: ["ignore", fd, fd] });
    closeSync(fd);
    live.add(child);
    let exit: string | undefined;
    const exited = new Promise<void>((resolve) =>
      child.once("exit", (code, signal) => {
        live.delete(child);
        exit = signal ?? `exit code ${code}`;
        resolve();
      }),
    );
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const port = /^listening on http:\/\/127\.0\.0\.1:(\d+)/m.exec(readFileSync(logFile, "utf8"))?.[1];
      if (port !== undefined) return new FunctionServer(child, Number(port), logFile, exited);
      if (exit !== undefined) throw new Error(`the ${c.name} function server exited while starting (${exit}):\n${tail(logFile)}`);
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`the ${c.name} function server did not listen within ${timeoutMs} ms:\n${tail(logFile)}`);
      }
      await sleep(20);
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/statefun`;
  }

  logTail(lines = 60): string {
    return tail(this.logFile, lines);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    await this.exited;
  }
}

/** Kills every function server still alive (call it in `afterAll`). */
export async function stopAllFunctionServers(): Promise<void> {
  const waits = [...live].map(
    (child) => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", () => resolve()))),
  );
  for (const child of live) child.kill("SIGKILL");
  await Promise.all(waits);
}

/**
 * Writes a module file template into `dir` with its endpoints pointing at `server` (the
 * template's `http://127.0.0.1:8000/`, as in the StateFun playground, becomes its port),
 * after `preamble` (more YAML documents, already complete).
 */
export function writeModuleFor(template: string, dir: string, server: FunctionServer, preamble = ""): string {
  const text = readFileSync(template, "utf8");
  const placeholder = /http:\/\/127\.0\.0\.1:8000\//g;
  if ((text.match(placeholder) ?? []).length === 0) throw new Error(`${template} has no endpoint at http://127.0.0.1:8000/`);
  const path = join(dir, "module.yaml");
  writeFileSync(path, preamble + text.replace(placeholder, `http://127.0.0.1:${server.port}/`));
  return path;
}

function tail(file: string, lines = 60): string {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").slice(-lines).join("\n") : "";
}
