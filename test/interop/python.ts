/**
 * The Python side of the interop tests: the function server of test/interop/python (the
 * official StateFun Python SDK behind aiohttp) as a child process, from the venv that
 * scripts/interop/setup-python.sh builds, and the module file that points our runtime at it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RemoteSdk } from "./remote-sdk.js";

export const PYTHON_DIR = fileURLToPath(new URL("./python/", import.meta.url));
export const VENV_PYTHON = fileURLToPath(new URL("../../.cache/interop/python/bin/python", import.meta.url));
export const SETUP_COMMAND = "bash scripts/interop/setup-python.sh";
/** The module file: as in the StateFun playground, its endpoints point at http://127.0.0.1:8000. */
export const MODULE_TEMPLATE = join(PYTHON_DIR, "module.yaml");

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** Throws (never skips) when the venv is missing, saying how to build it. */
export function requirePythonVenv(): string {
  if (!existsSync(VENV_PYTHON)) {
    throw new Error(
      `The Python interop environment is missing (${VENV_PYTHON}). Build it with \`${SETUP_COMMAND}\` ` +
        "(npm test runs it first; it needs python3 >= 3.10 and access to PyPI).",
    );
  }
  return VENV_PYTHON;
}

/** `python serve.py`: the functions of test/interop/python/functions.py on a free loopback port. */
export class PythonFunctionServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly logFile: string,
    private readonly exited: Promise<void>,
  ) {}

  /** Starts the server and resolves once it listens (it prints the port it bound). */
  static async start(logFile: string, timeoutMs = 20_000): Promise<PythonFunctionServer> {
    const python = requirePythonVenv();
    const child = spawn(python, ["serve.py", "--port", "0"], {
      cwd: PYTHON_DIR,
      env: { ...process.env, PYTHONUNBUFFERED: "1", PYTHONDONTWRITEBYTECODE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    live.add(child);
    const exited = new Promise<void>((resolve) =>
      child.once("exit", () => {
        live.delete(child);
        resolve();
      }),
    );
    const log = (chunk: Buffer) => appendFileSync(logFile, chunk);
    child.stderr!.on("data", log);
    let output = "";
    let listening = false;
    const port = await new Promise<number>((resolve, reject) => {
      const fail = (why: string) => {
        clearTimeout(timer);
        child.kill("SIGKILL");
        reject(new Error(`the Python function server ${why}:\n${output}${tail(logFile)}`));
      };
      const timer = setTimeout(() => fail(`did not listen within ${timeoutMs} ms`), timeoutMs);
      child.once("exit", (code, signal) => {
        if (!listening) fail(`exited while starting (${signal ?? `exit code ${code}`})`);
      });
      child.stdout!.on("data", (chunk: Buffer) => {
        log(chunk);
        if (listening) return;
        output += chunk.toString();
        const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
        if (match) {
          listening = true;
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
    });
    return new PythonFunctionServer(child, port, logFile, exited);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/statefun`;
  }

  logTail(lines = 60): string {
    return tail(this.logFile, lines);
  }

  /** SIGTERM, then SIGKILL if it is still there after 3 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 3000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Kills every Python server still alive (call it in `afterAll`). */
export async function stopAllPythonServers(): Promise<void> {
  const waits = [...live].map(
    (child) => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", () => resolve()))),
  );
  for (const child of live) child.kill("SIGKILL");
  await Promise.all(waits);
}

/**
 * Writes test/interop/python/module.yaml into `dir` with its endpoints pointing at `server`
 * (the template's `http://127.0.0.1:8000/` becomes the server's port); returns the path.
 */
export function writeModule(dir: string, server: PythonFunctionServer): string {
  const template = readFileSync(MODULE_TEMPLATE, "utf8");
  const placeholder = /http:\/\/127\.0\.0\.1:8000\//g;
  if ((template.match(placeholder) ?? []).length === 0) throw new Error(`${MODULE_TEMPLATE} has no endpoint at http://127.0.0.1:8000/`);
  const path = join(dir, "module.yaml");
  writeFileSync(path, template.replace(placeholder, `http://127.0.0.1:${server.port}/`));
  return path;
}

function tail(file: string, lines = 60): string {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").slice(-lines).join("\n") : "";
}

/** The Python side of the shared interop suites (test/interop/remote-sdk.ts). */
export const python: RemoteSdk<PythonFunctionServer> = {
  language: "Python",
  sdk: "apache-flink-statefun 3.3.0",
  expireAfterCall: "expire_after_call",
  require: () => {
    requirePythonVenv();
  },
  start: (logFile) => PythonFunctionServer.start(logFile),
  stopAll: stopAllPythonServers,
  writeModule,
};
