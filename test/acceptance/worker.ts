import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "packages/server/dist/cli/main.js");

/** A `statefun run` worker as a child process, on a data directory that outlives restarts. */
export class Worker {
  readonly dataDir = mkdtempSync(join(tmpdir(), "statefun-acceptance-"));
  private child: ChildProcess | undefined;
  private output = "";

  constructor(
    private readonly modules: string[],
    readonly portOffset: number,
  ) {}

  url(port: "ingress" | "egress" | "admin", path: string): string {
    const base = { admin: 8081, ingress: 8090, egress: 8091 }[port];
    return `http://127.0.0.1:${base + this.portOffset}${path}`;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [cli, "run", ...this.modules, "--port-offset", String(this.portOffset)], {
      cwd: root,
      env: { ...process.env, STATEFUN_DATA: this.dataDir, STATEFUN_LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    child.stdout?.on("data", (d) => (this.output += d));
    child.stderr?.on("data", (d) => (this.output += d));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}:\n${this.output}`);
      const ready = await fetch(this.url("admin", "/readyz")).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`worker not ready after 30 s:\n${this.output}`);
  }

  /** SIGKILL: no shutdown, no flush. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  }

  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  get log(): string {
    return this.output;
  }
}

/**
 * Polls `GET url` until it answers 200 with a record not seen before; returns the body. Egress
 * delivery is at-least-once: a record taken just before a kill -9 may come again after the
 * restart, under the same `Statefun-Record-Id`, and is skipped here as a consumer would.
 */
export async function take(url: string, seen: Set<string> = new Set(), timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(url);
    const id = response.headers.get("statefun-record-id");
    const body = await response.text();
    if (response.status === 200 && id !== null && !seen.has(id)) {
      seen.add(id);
      return body;
    }
    if (Date.now() > deadline) throw new Error(`GET ${url}: no new record after ${timeoutMs} ms (last: ${response.status})`);
    if (response.status !== 200) await new Promise((r) => setTimeout(r, 50));
  }
}
