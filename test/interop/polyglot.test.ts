/**
 * The polyglot example (examples/polyglot): one application whose functions are written in
 * three languages and message each other — `shop/checkout` in TypeScript (our SDK), which
 * asks `shop/inventory` in Python and `shop/shipping` in Go (the official StateFun SDKs) and
 * combines their answers. The three function servers and the runtime start as run.sh starts
 * them, on free ports, with the example's module.yaml pointed at those ports.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Receipt } from "../../examples/polyglot/typescript/functions.js";
import { sleep } from "../e2e/verifier/http.js";
import { freePortOffset, killAllWorkers, REPO_ROOT, WorkerProcess } from "../e2e/verifier/process.js";
import { requirePythonVenv } from "./python.js";

const EXAMPLE = join(REPO_ROOT, "examples/polyglot");
const GO_BUILD = join(EXAMPLE, "go/build.sh");
const GO_FUNCTIONS = join(REPO_ROOT, ".cache/examples/polyglot/go/functions");
const BUILT = ["packages/server/dist/cli/main.js", "packages/sdk/dist/node.js"];

const dir = mkdtempSync(join(tmpdir(), "statefun-polyglot-"));
const servers: FunctionServer[] = [];
let worker: WorkerProcess;

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

interface FunctionServer {
  readonly name: string;
  readonly port: number;
  readonly logFile: string;
}

/** Starts a function server as a child process, its output in a log file; resolves once it prints the port it bound. */
async function startServer(name: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<FunctionServer> {
  const logFile = join(dir, `${name}.log`);
  const fd = openSync(logFile, "a");
  const child = spawn(command, args, { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  live.add(child);
  let exit: string | undefined;
  child.once("exit", (code, signal) => {
    live.delete(child);
    exit = signal ?? `exit code ${code}`;
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const port = /^listening on http:\/\/127\.0\.0\.1:(\d+)$/m.exec(readFileSync(logFile, "utf8"))?.[1];
    if (port !== undefined) return { name, port: Number(port), logFile };
    if (exit !== undefined) throw new Error(`the ${name} function server exited while starting (${exit}):\n${tail(logFile)}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the ${name} function server did not listen within 30 s:\n${tail(logFile)}`);
    }
    await sleep(20);
  }
}

/** SIGKILL to every function server still alive (they keep nothing); resolves once they are gone. */
async function stopAllServers(): Promise<void> {
  const children = [...live];
  const gone = children.map((c) => new Promise<void>((resolve) => (c.exitCode !== null ? resolve() : c.once("exit", () => resolve()))));
  for (const child of children) child.kill("SIGKILL");
  await Promise.all(gone);
}

/** Throws (never skips) when the Go server cannot be built, saying why and what to do. */
async function buildGoFunctions(): Promise<string> {
  try {
    await promisify(execFile)("bash", [GO_BUILD], { cwd: REPO_ROOT, timeout: 170_000 });
  } catch (error) {
    const { stdout = "", stderr = "", message } = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `The Go function server of examples/polyglot could not be built with \`bash examples/polyglot/go/build.sh\`:\n${stdout}${stderr || message}`,
    );
  }
  return GO_FUNCTIONS;
}

/** examples/polyglot/module.yaml with each endpoint pointing at the port its server bound. */
function writeModule(ports: { typescript: number; python: number; go: number }): string {
  let module = readFileSync(join(EXAMPLE, "module.yaml"), "utf8");
  for (const [defaultPort, port] of [
    [8000, ports.typescript],
    [8001, ports.python],
    [8002, ports.go],
  ] as const) {
    const endpoint = `http://127.0.0.1:${defaultPort}/`;
    if (module.split(endpoint).length !== 2) throw new Error(`examples/polyglot/module.yaml has no single endpoint at ${endpoint}`);
    module = module.replace(endpoint, `http://127.0.0.1:${port}/`);
  }
  const path = join(dir, "module.yaml");
  writeFileSync(path, module);
  return path;
}

beforeAll(async () => {
  const missing = BUILT.filter((file) => !existsSync(join(REPO_ROOT, file)));
  if (missing.length > 0) throw new Error(`${missing.join(", ")} missing: run \`npm run build\` first (npm test does)`);
  const python = requirePythonVenv();
  const goFunctions = await buildGoFunctions();
  const [typescript, py, go] = await Promise.all([
    startServer("typescript", process.execPath, ["--import", "tsx", join(EXAMPLE, "typescript/serve.ts"), "--port", "0"]),
    startServer("python", python, [join(EXAMPLE, "python/serve.py"), "--port", "0"], {
      PYTHONUNBUFFERED: "1",
      PYTHONDONTWRITEBYTECODE: "1",
    }),
    startServer("go", goFunctions, ["-port", "0"]),
  ]);
  servers.push(typescript, py, go);
  const module = writeModule({ typescript: typescript.port, python: py.port, go: go.port });
  worker = WorkerProcess.cli(module, {
    dataDir: join(dir, "data"),
    portOffset: await freePortOffset(),
    logFile: join(dir, "statefun.log"),
  });
  await worker.start();
}, 180_000);

afterAll(async () => {
  await killAllWorkers();
  await stopAllServers();
  rmSync(dir, { recursive: true, force: true });
});

/** The end of every log: what a failed expectation prints. */
function logs(): string {
  const files = [...servers.map((s) => s.logFile), join(dir, "statefun.log")];
  return files.map((file) => `----- ${file}\n${tail(file, 30)}`).join("\n");
}

function tail(file: string, lines = 60): string {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").slice(-lines).join("\n") : "";
}

/** PUT a JSON message of type `typename` to `path` and wait for the function's reply. */
async function call(path: string, typename: string, body: unknown): Promise<{ status: number; contentType: string | null; json: unknown }> {
  const response = await fetch(`${worker.urls.ingress}/${path}?await=20s`, {
    method: "PUT",
    headers: { "content-type": `application/vnd.${typename}` },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  expect(response.status, `PUT ${path}: ${text}\n${logs()}`).toBe(200);
  return { status: response.status, contentType: response.headers.get("content-type"), json: JSON.parse(text) };
}

const order = async (orderId: string, item: string, quantity: number, country: string) => {
  const reply = await call(`shop/checkout/${orderId}`, "shop/Order", { item, quantity, country });
  expect(reply.contentType).toBe("application/vnd.shop/Receipt");
  return reply.json as Receipt;
};

/** The oldest record of the egress topic `receipts`, waiting for one up to 15 s. */
async function takeReceipt(): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const response = await fetch(`${worker.urls.egress}/receipts`);
    if (response.status === 200) return response.text();
    await response.arrayBuffer();
    if (Date.now() > deadline) throw new Error(`no record on the egress topic receipts within 15 s\n${logs()}`);
    await sleep(50);
  }
}

/** The egress record of an order commits with its reply: once the reply is in, no record means none. */
async function expectNoReceipt(): Promise<void> {
  const response = await fetch(`${worker.urls.egress}/receipts`);
  expect(response.status, await response.text()).toBe(404);
}

/** The units of `item` left in the Python function's state. */
async function stockOf(item: string): Promise<unknown> {
  const view = (await (await fetch(`${worker.urls.admin}/v1/state/shop/inventory/${item}`)).json()) as {
    state: { name: string; value: unknown }[];
  };
  return view.state.find((s) => s.name === "stock")?.value;
}

describe("the polyglot shop: TypeScript, Python and Go functions messaging each other", () => {
  it("answers an order with the receipt TypeScript combines from the Python reservation and the Go shipping quote", async () => {
    expect(await order("o-1", "socks", 3, "DE")).toEqual({
      orderId: "o-1",
      status: "confirmed",
      item: "socks",
      quantity: 3,
      country: "DE",
      itemsCents: 1350, // 3 x 4.50, the Python catalog price
      shippingCents: 490, // one parcel within Germany, the Go quote
      totalCents: 1840,
      carrier: "DHL",
      days: 1,
    });
    expect(await takeReceipt()).toBe("o-1 confirmed: 3 x socks to DE, 13.50 + 4.90 shipping = 18.40 EUR, DHL in 1 day");
    expect(await stockOf("socks")).toBe(97);
  }, 30_000);

  it("rejects an order beyond the stock the Python function keeps, and places the next one that fits", async () => {
    expect(await order("o-2", "hat", 6, "FR")).toEqual({ orderId: "o-2", status: "rejected", reason: "only 5 hat left" });
    expect(await takeReceipt()).toBe("o-2 rejected: only 5 hat left");
    expect(await stockOf("hat")).toBeUndefined(); // nothing reserved: the state was never written

    expect(await order("o-3", "hat", 5, "JP")).toMatchObject({
      status: "confirmed",
      itemsCents: 9500,
      shippingCents: 2490,
      carrier: "UPS",
    });
    expect(await takeReceipt()).toBe("o-3 confirmed: 5 x hat to JP, 95.00 + 24.90 shipping = 119.90 EUR, UPS in 7 days");
    expect(await stockOf("hat")).toBe(0);
  }, 30_000);

  it("places an order id once: every caller, concurrent or later, gets the same receipt, reserved and emitted once", async () => {
    const [first, second] = await Promise.all([order("o-4", "umbrella", 12, "NL"), order("o-4", "umbrella", 12, "NL")]);
    const receipt = { orderId: "o-4", status: "confirmed", item: "umbrella", quantity: 12, country: "NL" };
    expect(first).toEqual({ ...receipt, itemsCents: 15000, shippingCents: 1980, totalCents: 16980, carrier: "DHL", days: 3 });
    expect(second).toEqual(first);
    expect(await takeReceipt()).toBe("o-4 confirmed: 12 x umbrella to NL, 150.00 + 19.80 shipping = 169.80 EUR, DHL in 3 days");

    expect(await order("o-4", "umbrella", 12, "NL")).toEqual(first);
    await expectNoReceipt();
    expect(await stockOf("umbrella")).toBe(8);
  }, 30_000);

  it("answers an invalid order as rejected without placing it, so the same id can be placed once corrected", async () => {
    expect(await order("o-5", "socks", 0, "DE")).toEqual({
      orderId: "o-5",
      status: "rejected",
      reason: "quantity: a positive integer is required",
    });
    await expectNoReceipt();
    expect(await order("o-5", "socks", 1, "DE")).toMatchObject({ status: "confirmed", totalCents: 940 });
    expect(await takeReceipt()).toBe("o-5 confirmed: 1 x socks to DE, 4.50 + 4.90 shipping = 9.40 EUR, DHL in 1 day");
  }, 30_000);

  it("lets HTTP callers ask the Python and Go functions directly, as the TypeScript one does", async () => {
    const quote = await call("shop/shipping/US", "shop/QuoteShipping", { country: "US", quantity: 25 });
    expect(quote.contentType).toBe("application/vnd.shop/ShippingQuote");
    expect(quote.json).toEqual({ country: "US", carrier: "UPS", days: 7, costCents: 3 * 2490 });

    const reservation = await call("shop/inventory/kite", "shop/Reserve", { item: "kite", quantity: 1 });
    expect(reservation.contentType).toBe("application/vnd.shop/Reservation");
    expect(reservation.json).toEqual({ item: "kite", reserved: false, unitCents: 0, left: 0, reason: "there is no kite in the catalog" });
  }, 30_000);
});
