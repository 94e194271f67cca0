/**
 * Functions written with our TypeScript SDK, served with `serve()` from `@statefun-ts/sdk/node`,
 * run by Apache Flink StateFun 3.3.0 itself: the Java program in `flink/` starts StateFun
 * in-process (statefun-flink-harness, a Flink 1.16 mini cluster) with a module.yaml whose
 * `io.statefun.endpoints.v2/http` endpoint points at our function server, feeds it a script of
 * messages and prints every egress record as a JSON line. See `flink/README.md`.
 *
 * Needs the Java build: `scripts/interop/setup-java.sh` (run by `npm test`'s pretest), and the
 * built packages (`npm run build`). Never skips: without them it fails and says what to run.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Command, Done, Event, MARKER_TTL_MS } from "./flink/functions.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const PROJECT = join(ROOT, "test/interop/flink");
const CLASSPATH_FILE = join(PROJECT, "target/classpath.txt");
const CLASSES = join(PROJECT, "target/classes");
const FUNCTIONS = join(PROJECT, "functions.ts");
const SDK_NODE = join(ROOT, "packages/sdk/dist/node.js");
const SETUP = "scripts/interop/setup-java.sh";

/** The Java side stops by itself after this long; the whole run is bounded a little above. */
const JAVA_TIMEOUT_MS = 60_000;
const RUN_BOUND_MS = 70_000;

const DELAY_MS = 2000;
const CANCELLED_DELAY_MS = 3000;
const TOKEN = "interop-a-cancelled";

/** [delay after the previous message in ms, target address, command] */
const SCRIPT: readonly (readonly [number, string, Command])[] = [
  [0, "interop/counter/a", { op: "ping", seq: 1 }],
  [0, "interop/counter/b", { op: "ping", seq: 1 }],
  [0, "interop/counter/a", { op: "ping", seq: 2 }],
  [0, "interop/counter/a", { op: "ping", seq: 3 }],
  [0, "interop/counter/b", { op: "ping", seq: 2 }],
  [200, "interop/counter/a", { op: "schedule", delayMs: DELAY_MS, cancelledDelayMs: CANCELLED_DELAY_MS, token: TOKEN }],
  [300, "interop/counter/a", { op: "cancel", token: TOKEN }],
];

type Line =
  | { kind: "module"; path: string }
  | { kind: "sent"; at: number; to: string; typename: string }
  | { kind: "egress"; at: number; typename: string; value: string }
  | { kind: "end"; reason: string; error?: string };

interface Run {
  readonly lines: Line[];
  readonly events: Event[];
  readonly done: Done[];
  readonly exitCode: number | null;
  readonly stderr: string;
}

const children: ChildProcess[] = [];
let workDir: string | undefined;
let functionsLog = "";
let run: Run;

/** What a failed assertion shows: the program's output and the tail of Flink's and the functions' logs. */
function diagnostics(): string {
  const tail = (text: string) => text.split("\n").slice(-40).join("\n");
  return [
    `Java exit code: ${run?.exitCode}`,
    `Java stdout:\n${run?.lines.map((l) => JSON.stringify(l)).join("\n")}`,
    `decoded events:\n${run?.events.map((e) => JSON.stringify(e)).join("\n")}`,
    `Flink log (stderr, tail):\n${tail(run?.stderr ?? "")}`,
    `functions log (tail):\n${tail(functionsLog)}`,
  ].join("\n\n");
}

function requireBuild(): string[] {
  const missing = (what: string, fix: string) =>
    new Error(`${what} is missing: run \`${fix}\` first (npm test runs it in pretest). This test never skips.`);
  if (!existsSync(SDK_NODE)) throw missing(`the built SDK (${SDK_NODE})`, "npm run build");
  if (!existsSync(CLASSPATH_FILE) || !existsSync(CLASSES)) throw missing("the Java build of test/interop/flink", SETUP);
  const classpath = readFileSync(CLASSPATH_FILE, "utf8").trim().split(":");
  const gone = classpath.filter((jar) => !existsSync(jar));
  if (gone.length > 0) throw missing(`${gone.length} jar(s) of the Flink classpath (e.g. ${gone[0]})`, SETUP);
  return [CLASSES, ...classpath];
}

/** Starts functions.ts (the built SDK, through tsx) on a free port; resolves its base URL. */
function startFunctions(): Promise<string> {
  const child = spawn(process.execPath, ["--import", "tsx", FUNCTIONS, "--port", "0"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`functions.ts did not start within 15 s:\n${functionsLog}`)), 15_000);
    const onData = (chunk: Buffer) => {
      functionsLog += chunk.toString();
      const url = /listening on (\S+)/.exec(functionsLog)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve(url);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`functions.ts exited with ${code} before listening:\n${functionsLog}`));
    });
  });
}

/** Runs the Java harness program to its end (done, job failure or its own timeout), bounded by RUN_BOUND_MS. */
function runFlink(classpath: string[], functionsUrl: string, scriptFile: string): Promise<Run> {
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, "bin", "java") : "java";
  const args = [
    `@${join(PROJECT, "jvm.args")}`,
    "-cp",
    classpath.join(":"),
    "io.statefunts.interop.flink.InteropMain",
    functionsUrl,
    scriptFile,
    Done.typename,
    String(JAVA_TIMEOUT_MS),
  ];
  const child = spawn(java, args, { cwd: PROJECT, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the Flink harness did not finish within ${RUN_BOUND_MS} ms\nstdout:\n${stdout}\nstderr:\n${stderr.slice(-4000)}`));
    }, RUN_BOUND_MS);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${java} (Java 17 is needed; ${SETUP} checks it): ${error.message}`));
    });
    child.once("close", (exitCode) => {
      clearTimeout(timer);
      const lines = stdout
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as Line);
      const records = lines.filter((l): l is Extract<Line, { kind: "egress" }> => l.kind === "egress");
      const bytes = (value: string) => new Uint8Array(Buffer.from(value, "base64"));
      resolve({
        lines,
        events: records.filter((r) => r.typename === Event.typename).map((r) => Event.deserialize(bytes(r.value))),
        done: records.filter((r) => r.typename === Done.typename).map((r) => Done.deserialize(bytes(r.value))),
        exitCode,
        stderr,
      });
    });
  });
}

describe("functions written with the Statefun TS SDK, run by Apache Flink StateFun 3.3.0", () => {
  beforeAll(async () => {
    const classpath = requireBuild();
    workDir = mkdtempSync(join(tmpdir(), "statefun-ts-flink-"));
    const scriptFile = join(workDir, "script.tsv");
    const b64 = (command: Command) => Buffer.from(Command.serialize(command)).toString("base64");
    writeFileSync(scriptFile, SCRIPT.map(([after, to, command]) => `${after}\t${to}\t${Command.typename}\t${b64(command)}\n`).join(""));
    const functionsUrl = await startFunctions();
    run = await runFlink(classpath, functionsUrl, scriptFile);
  }, 90_000);

  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
        await exited;
        clearTimeout(timer);
      }
    }
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  const events = <K extends Event["kind"]>(kind: K, id?: string) =>
    run.events.filter((e): e is Extract<Event, { kind: K }> => e.kind === kind && (id === undefined || e.id === id));

  it("runs to the end: the job neither fails nor times out", () => {
    const end = run.lines.find((l) => l.kind === "end");
    expect(end, diagnostics()).toEqual({ kind: "end", reason: "done" });
    expect(run.exitCode, diagnostics()).toBe(0);
    expect(run.done, diagnostics()).toHaveLength(1);
  });

  it("keeps state across invocations: the N-th ping of an id sees N-1 (Flink registered the states from the handshake)", () => {
    const seen = (id: string) => events("ping", id).map((e) => [e.seq, e.previous]);
    expect(seen("a"), diagnostics()).toEqual([
      [1, 0],
      [2, 1],
      [3, 2],
    ]);
    expect(seen("b"), diagnostics()).toEqual([
      [1, 0],
      [2, 1],
    ]);
    expect(run.done[0], diagnostics()).toMatchObject({ id: "a", count: 3 });
  });

  it("delivers messages between functions and replies to the calling function", () => {
    const replies = (id: string) => events("reply", id).map((e) => [e.seq, e.from, e.caller]);
    const echo = (id: string) => `interop/echo/${id}`;
    expect(replies("a"), diagnostics()).toEqual([
      [1, echo("a"), echo("a")],
      [2, echo("a"), echo("a")],
      [3, echo("a"), echo("a")],
    ]);
    expect(replies("b"), diagnostics()).toEqual([
      [1, echo("b"), echo("b")],
      [2, echo("b"), echo("b")],
    ]);
  });

  it("delivers a delayed message once, after its delay", () => {
    const kept = events("delayed", "a").filter((e) => e.tag === "kept");
    expect(kept, diagnostics()).toHaveLength(1);
    expect(kept[0]!.at - kept[0]!.scheduledAt, diagnostics()).toBeGreaterThanOrEqual(DELAY_MS);
    expect(kept[0]!.count, diagnostics()).toBe(3);
  });

  it("never delivers a delayed message cancelled before it was due", () => {
    const [scheduled] = events("scheduled", "a");
    const [cancel] = events("cancel", "a");
    expect(scheduled && cancel, diagnostics()).toBeTruthy();
    // The cancellation reached the function before the message was due, else the check below proves nothing.
    expect(cancel!.at, diagnostics()).toBeLessThan(scheduled!.at + CANCELLED_DELAY_MS);
    // `done` is sent with a delay 2 s past the cancelled one's, so a lost cancellation would have shown by now.
    expect(run.done, diagnostics()).toHaveLength(1);
    expect(
      events("delayed").filter((e) => e.tag === "cancelled"),
      diagnostics(),
    ).toEqual([]);
  });

  it("accepts both expiry modes from the handshake and expires state after its write", () => {
    const [scheduled] = events("scheduled", "a");
    expect(scheduled?.markerExpiresAfterMs, diagnostics()).toBe(MARKER_TTL_MS);
    // `marker` (expireAfterWrite 1 s) was written when scheduling: still there for the cancel
    // (300 ms later; Flink measures from its write, which follows `scheduled.at`) …
    const [cancel] = events("cancel", "a");
    if (cancel && scheduled && cancel.at - scheduled.at < MARKER_TTL_MS) expect(cancel.markerPresent, diagnostics()).toBe(true);
    // … and gone for the delayed message, 2 s later.
    const [kept] = events("delayed", "a").filter((e) => e.tag === "kept");
    expect(kept?.markerPresent, diagnostics()).toBe(false);
    // `calls` (expireAfterCall 1 h) counted every invocation of counter/a: 3 pings, 3 replies,
    // schedule, cancel, the delayed message and finish.
    expect(run.done[0]?.calls, diagnostics()).toBe(10);
  });

  it("Flink logs no error or warning about the protocol or the functions", () => {
    // Harmless: the mini cluster's web UI has no log file; a machine (or network namespace) without a
    // hardware address makes Flink use random bytes for its ids.
    const known = /WebMonitorUtils|MacAddressUtil/;
    const bad = run.stderr.split("\n").filter((line) => /\b(WARN|ERROR|FATAL)\b|Exception/.test(line) && !known.test(line));
    expect(bad, diagnostics()).toEqual([]);
    expect(run.stderr, diagnostics()).toMatch(/Bootstrapping function FunctionType\(interop, counter\)/);
  });
});
