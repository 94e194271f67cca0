// The README's walk-through "From one machine to a cluster", run as written: an embedded worker
// (as `npm start`) takes greetings, stops; the README's commands start a PostgreSQL server,
// migrate the data directory into it and start three workers; Bob's state and an unread egress
// record are there, and Bob's next greeting counts his earlier visit.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../e2e/verifier/process.js";
import { tempDir } from "./helpers.js";

const tmp = tempDir();
const children: ChildProcess[] = [];
let pgDir = "";
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  if (pgDir !== "") execFileSync("bash", ["scripts/postgres/cluster.sh", "stop", pgDir], { cwd: tmp.dir, stdio: "ignore" });
  tmp.cleanup();
});

/** The shell block of the README section, without comments. */
function readmeBlock(): string[] {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("### From one machine to a cluster"));
  const block = section.slice(section.indexOf("```sh\n") + 6, section.indexOf("\n```", section.indexOf("```sh\n")));
  return block.split("\n").filter((line) => line.trim() !== "" && !line.trim().startsWith("#"));
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const ready = (port: number) =>
  until(`the worker on ${port}`, async () => ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok ? true : undefined));

function greet(port: number, name: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}/example/person/${name}`, {
    method: "PUT",
    headers: { "content-type": "application/vnd.example/GreetRequest" },
    body: JSON.stringify({ name }),
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", () => resolve())));
}

describe("README: from one machine to a cluster", () => {
  it("works as written", { timeout: 240_000 }, async () => {
    // A working copy as a fresh clone has it after npm install (the built packages, the scripts, the examples).
    for (const entry of ["packages", "scripts", "examples", "node_modules", "package.json"]) {
      symlinkSync(join(REPO_ROOT, entry), join(tmp.dir, entry));
    }
    // PostgreSQL runs as its own user when the tests run as root: it must be able to reach TMPDIR.
    chmodSync(tmp.dir, 0o755);
    mkdirSync(join(tmp.dir, "tmp"), { mode: 0o755 });
    const env = { ...process.env, TMPDIR: join(tmp.dir, "tmp") };

    // npm start (already built): the embedded worker on ./.statefun.
    const embedded = spawn(
      "node",
      ["packages/server/dist/cli/main.js", "run", "examples/greeter/module.ts", "examples/shopping-cart/module.ts"],
      { cwd: tmp.dir, env, stdio: "ignore" },
    );
    children.push(embedded);
    await ready(8081);
    expect((await greet(8090, "Bob")).status).toBe(202);
    expect(await until("Bob's greeting", async () => ((await fetch("http://127.0.0.1:8091/greetings")).ok ? "read" : undefined))).toBe(
      "read",
    );
    expect((await greet(8090, "Ann")).status).toBe(202); // Ann's greeting stays unread: it moves too.
    await until("Ann's greeting committed", async () => {
      const state = (await (await fetch("http://127.0.0.1:8081/v1/state/example/person/Ann")).json()) as { state: unknown[] };
      return state.state.length > 0 ? true : undefined;
    });
    embedded.kill("SIGINT");
    await exited(embedded);

    // The README's commands: a PostgreSQL server and the migration, then the three workers.
    const lines = readmeBlock();
    const startCluster = lines.findIndex((l) => l.includes("scripts/cluster/start.sh"));
    expect(startCluster).toBeGreaterThan(0);
    const setup = `set -euo pipefail\n${lines.slice(0, startCluster).join("\n")}\necho "PG=$pg"\necho "URL=$url"\n`;
    const output = execFileSync("bash", ["-c", setup], { cwd: tmp.dir, env, encoding: "utf8" });
    pgDir = /^PG=(.*)$/m.exec(output)![1]!;
    const url = /^URL=(.*)$/m.exec(output)![1]!;
    expect(output).toMatch(/verified: every count equal/);
    expect(output).toMatch(/^egress\s+1\s+1$/m);

    const cluster = spawn("bash", ["-c", lines[startCluster]!], { cwd: tmp.dir, env: { ...env, url }, stdio: "ignore" });
    children.push(cluster);
    for (const port of [8081, 8181, 8281]) await ready(port);

    const bob = (await (await fetch("http://127.0.0.1:8181/v1/state/example/person/Bob")).json()) as { state: { name: string }[] };
    expect(bob.state.map((s) => s.name)).toContain("visits");
    const records: string[] = [];
    const readAll = async () => {
      for (const port of [8091, 8191, 8291]) {
        const response = await fetch(`http://127.0.0.1:${port}/greetings`);
        if (response.ok) records.push(await response.text());
      }
    };
    expect((await greet(8190, "Bob")).status).toBe(202);
    await until("the greetings", async () => {
      await readAll();
      return records.includes("Nice to see you again Bob.") && records.includes("Welcome Ann!") ? true : undefined;
    });
    expect(records.sort()).toEqual(["Nice to see you again Bob.", "Welcome Ann!"]);

    cluster.kill("SIGINT");
    await exited(cluster);
  });
});
