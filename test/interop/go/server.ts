/**
 * The Go side of the interop tests: the function server of this folder (the official StateFun
 * Go SDK behind net/http), built by scripts/interop/setup-go.sh into
 * `.cache/interop/go/functions`, as a child process; and the module file that points our
 * runtime at it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sleep } from "../../e2e/verifier/http.js";
import type { RemoteSdk } from "../remote-sdk.js";

export const GO_DIR = fileURLToPath(new URL("./", import.meta.url));
export const GO_FUNCTIONS = fileURLToPath(new URL("../../../.cache/interop/go/functions", import.meta.url));
export const SETUP_COMMAND = "bash scripts/interop/setup-go.sh";
/** The module file: as in the StateFun playground, its endpoints point at http://127.0.0.1:8000. */
export const MODULE_TEMPLATE = join(GO_DIR, "module.yaml");

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** Throws (never skips) when the server is not built, or is older than its sources, saying how to build it. */
export function requireGoFunctions(): string {
  if (!existsSync(GO_FUNCTIONS)) {
    throw new Error(
      `The Go interop function server is missing (${GO_FUNCTIONS}). Build it with \`${SETUP_COMMAND}\` ` +
        "(npm test runs it first; it needs Go or access to the Go module proxy).",
    );
  }
  const built = statSync(GO_FUNCTIONS).mtimeMs;
  const newer = readdirSync(GO_DIR).filter((f) => /\.go$|^go\.(mod|sum)$/.test(f) && statSync(join(GO_DIR, f)).mtimeMs > built);
  if (newer.length > 0) {
    throw new Error(
      `The Go interop function server is older than test/interop/go/${newer.join(", ")}: rebuild it with \`${SETUP_COMMAND}\`.`,
    );
  }
  return GO_FUNCTIONS;
}

/** `functions -port 0`: the functions of test/interop/go on a free loopback port. */
export class GoFunctionServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly logFile: string,
    private readonly exited: Promise<void>,
  ) {}

  /** Starts the server and resolves once it listens (it prints the port it bound). */
  static async start(logFile: string, timeoutMs = 10_000): Promise<GoFunctionServer> {
    const binary = requireGoFunctions();
    const fd = openSync(logFile, "a");
    const child = spawn(binary, ["-host", "127.0.0.1", "-port", "0"], { stdio: ["ignore", fd, fd] });
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
      const port = /^listening on http:\/\/127\.0\.0\.1:(\d+)$/m.exec(readFileSync(logFile, "utf8"))?.[1];
      if (port !== undefined) return new GoFunctionServer(child, Number(port), logFile, exited);
      if (exit !== undefined) throw new Error(`the Go function server exited while starting (${exit}):\n${tail(logFile)}`);
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`the Go function server did not listen within ${timeoutMs} ms:\n${tail(logFile)}`);
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

  /** SIGKILL (it keeps nothing): resolves once the process is gone. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    await this.exited;
  }
}

/** Kills every Go server still alive (call it in `afterAll`). */
export async function stopAllGoServers(): Promise<void> {
  const waits = [...live].map(
    (child) => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", () => resolve()))),
  );
  for (const child of live) child.kill("SIGKILL");
  await Promise.all(waits);
}

/**
 * Writes test/interop/go/module.yaml into `dir` with its endpoints pointing at `server`
 * (the template's `http://127.0.0.1:8000/` becomes the server's port); returns the path.
 */
export function writeModule(dir: string, server: GoFunctionServer): string {
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

/** The Go side of the shared interop suites (test/interop/remote-sdk.ts). */
export const go: RemoteSdk<GoFunctionServer> = {
  language: "Go",
  sdk: "statefun-sdk-go/v3 v3.3.0",
  expireAfterCall: "ExpireAfterCall",
  require: () => {
    requireGoFunctions();
  },
  start: (logFile) => GoFunctionServer.start(logFile),
  stopAll: stopAllGoServers,
  writeModule,
};
