import { CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { type AdminArgs, buildProgram, type CallArgs, type CliActions, type MessageArgs, type RunArgs, type StateArgs } from "./program.js";

function parse(argv: string[], env: Record<string, string> = {}) {
  const calls: { run?: RunArgs; send?: MessageArgs; call?: CallArgs; state?: StateArgs; admin?: AdminArgs } = {};
  const actions: CliActions = {
    run: async (a) => {
      calls.run = a;
    },
    send: async (a) => {
      calls.send = a;
    },
    call: async (a) => {
      calls.call = a;
    },
    state: async (a) => {
      calls.state = a;
    },
    admin: async (a) => {
      calls.admin = a;
    },
  };
  let stderr = "";
  const output = {
    writeErr: (s: string) => {
      stderr += s;
    },
    writeOut: () => {},
  };
  const program = buildProgram(actions).configureOutput(output);
  const configure = (command: typeof program): void => {
    command.configureOutput(output);
    for (const sub of command.commands) configure(sub);
  };
  configure(program);
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const done = program.parseAsync(["node", "statefun", ...argv]).finally(() => {
    process.env = saved;
  });
  return { calls, done, stderr: () => stderr };
}

async function failure(argv: string[]): Promise<string> {
  const p = parse(argv);
  const error = await p.done.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CommanderError);
  expect((error as CommanderError).exitCode).not.toBe(0);
  return p.stderr();
}

describe("statefun CLI arguments", () => {
  it("parses run with module files, ports, offset and store", async () => {
    const p = parse([
      "run",
      "a.ts",
      "b.mjs",
      "--admin-port",
      "9000",
      "--ingress-port",
      "0",
      "--port-offset",
      "100",
      "--store",
      "sqlite:/tmp/x",
    ]);
    await p.done;
    expect(p.calls.run).toEqual({
      modules: ["a.ts", "b.mjs"],
      store: { kind: "sqlite", dir: "/tmp/x" },
      host: "127.0.0.1",
      ports: { admin: 9000, ingress: 0 },
      portOffset: 100,
    });
  });

  it("takes the data directory from --data, then STATEFUN_DATA, then ./.statefun", async () => {
    const byDefault = parse(["run"]);
    await byDefault.done;
    expect(byDefault.calls.run?.store).toEqual({ kind: "sqlite", dir: ".statefun" });
    const byEnv = parse(["run"], { STATEFUN_DATA: "/var/sf" });
    await byEnv.done;
    expect(byEnv.calls.run?.store).toEqual({ kind: "sqlite", dir: "/var/sf" });
    const byFlag = parse(["run", "--data", "d", "--host", "0.0.0.0"], { STATEFUN_DATA: "/var/sf" });
    await byFlag.done;
    expect(byFlag.calls.run).toMatchObject({ store: { dir: "d" }, host: "0.0.0.0" });
    const dirs = parse(["run", "--modules-dir", "mods", "--modules-dir", "more"]);
    await dirs.done;
    expect(dirs.calls.run?.modulesDirs).toEqual(["mods", "more"]);
    const bounds = parse(["run", "--max-parked", "5", "--max-parked-total", "50", "--min-free-disk", "1GiB"]);
    await bounds.done;
    expect(bounds.calls.run).toMatchObject({ parkLimits: { perType: 5, total: 50 }, minFreeBytes: 1024 ** 3 });
    expect(await failure(["run", "--min-free-disk", "lots"])).toContain("64MiB");
    const cache = parse(["run", "--cache-memory", "64MiB"]);
    await cache.done;
    expect(cache.calls.run?.cacheBytes).toBe(64 * 1024 ** 2);
    const cacheByEnv = parse(["run"], { STATEFUN_CACHE_MEMORY: "1GiB" });
    await cacheByEnv.done;
    expect(cacheByEnv.calls.run?.cacheBytes).toBe(1024 ** 3);
    expect(await failure(["run", "--cache-memory", "much"])).toContain("64MiB");
    const memory = parse(["run", "--memory", "1GiB"]);
    await memory.done;
    expect(memory.calls.run?.memoryBytes).toBe(1024 ** 3);
    const memoryByEnv = parse(["run"], { STATEFUN_MEMORY: "768MiB" });
    await memoryByEnv.done;
    expect(memoryByEnv.calls.run?.memoryBytes).toBe(768 * 1024 ** 2);
    expect(await failure(["run", "--memory", "100MiB"])).toContain("at least 256MiB");
    expect(await failure(["run", "--max-parked", "0"])).toContain("at least 1");
    const byPath = parse(["run", "--store", "./here"]);
    await byPath.done;
    expect(byPath.calls.run?.store).toEqual({ kind: "sqlite", dir: "./here" });
  });

  it("parses run against PostgreSQL with a worker name, heartbeat and lease (cluster mode)", async () => {
    const url = "postgres://statefun@127.0.0.1:5432/statefun?schema=orders";
    const p = parse(["run", "--store", url, "--port-offset", "1", "--worker-name", "w-1", "--heartbeat", "500ms", "--lease", "2s"]);
    await p.done;
    expect(p.calls.run).toMatchObject({
      store: { kind: "postgres", url },
      portOffset: 1,
      workerName: "w-1",
      cluster: { heartbeatMs: 500, leaseMs: 2000 },
    });
    const byDefault = parse(["run", "--store", "postgresql://db.internal/statefun"]);
    await byDefault.done;
    expect(byDefault.calls.run?.store).toEqual({ kind: "postgres", url: "postgresql://db.internal/statefun" });
    expect(byDefault.calls.run?.workerName).toBeUndefined();
    expect(byDefault.calls.run?.cluster).toBeUndefined();
  });

  it("parses send, call and state", async () => {
    const send = parse(["send", "example/greeter/bob/x", "hello", "--type", "example/Greet", "--idempotency-key", "k"]);
    await send.done;
    expect(send.calls.send).toEqual({
      address: { namespace: "example", type: "greeter", id: "bob/x" },
      body: "hello",
      type: "example/Greet",
      idempotencyKey: "k",
      ingress: "http://127.0.0.1:8090",
    });
    const call = parse(["call", "example/greeter/bob", "--timeout", "2s", "--ingress", "http://localhost:9090/"]);
    await call.done;
    expect(call.calls.call).toMatchObject({ body: undefined, timeout: "2s", ingress: "http://localhost:9090" });
    const state = parse(["state", "example/greeter/bob"]);
    await state.done;
    expect(state.calls.state).toEqual({ address: { namespace: "example", type: "greeter", id: "bob" }, admin: "http://127.0.0.1:8081" });
  });

  it("parses run's --admin-host and --park-timeout", async () => {
    const p = parse(["run", "--admin-host", "0.0.0.0", "--park-timeout", "2h"]);
    await p.done;
    expect(p.calls.run).toMatchObject({ adminHost: "0.0.0.0", parkTimeoutMs: 7_200_000 });
    expect(await failure(["run", "--park-timeout", "later"])).toContain("--park-timeout");
  });

  it("parses functions and modules commands into admin API requests", async () => {
    const put = parse(["functions", "put", "example/*", "http://127.0.0.1:8000/{function.name}", "--max-batch", "10"]);
    await put.done;
    expect(put.calls.admin).toEqual({
      admin: "http://127.0.0.1:8081",
      method: "PUT",
      path: "/v1/functions/example/*",
      body: { text: JSON.stringify({ kind: "remote", url: "http://127.0.0.1:8000/{function.name}", maxNumBatchRequests: 10 }) },
      contentType: "application/json",
    });
    const del = parse(["functions", "delete", "com.example.fns/greeter", "--admin", "http://h:9/"]);
    await del.done;
    expect(del.calls.admin).toEqual({ admin: "http://h:9", method: "DELETE", path: "/v1/functions/com.example.fns/greeter" });
    const mod = parse(["modules", "put", "shop", "shop.yaml"]);
    await mod.done;
    expect(mod.calls.admin).toMatchObject({ method: "PUT", path: "/v1/modules/shop", body: { file: "shop.yaml" } });
    const list = parse(["modules", "list"]);
    await list.done;
    expect(list.calls.admin).toMatchObject({ method: "GET", path: "/v1/modules" });
    expect(await failure(["functions", "put", "noslash", "http://x/"])).toContain("namespace/name");
    expect(await failure(["modules", "delete", "../etc"])).toContain("letters, digits");
  });

  it("parses deadletters commands into admin API requests", async () => {
    const cases: [string[], Partial<AdminArgs>][] = [
      [["deadletters", "list"], { method: "GET", path: "/v1/deadletters" }],
      [["deadletters", "list", "--after", "7", "--limit", "10"], { method: "GET", path: "/v1/deadletters?limit=10&after=7" }],
      [["deadletters", "replay", "7"], { method: "POST", path: "/v1/deadletters/7/replay" }],
      [["deadletters", "delete", "7"], { method: "DELETE", path: "/v1/deadletters/7" }],
      [["deadletters", "discard", "--type", "example/greeter"], { method: "DELETE", path: "/v1/deadletters?type=example%2Fgreeter" }],
    ];
    for (const [argv, expected] of cases) {
      const p = parse(argv);
      await p.done;
      expect(p.calls.admin).toMatchObject({ admin: "http://127.0.0.1:8081", ...expected });
    }
    expect(await failure(["deadletters", "delete", "x"])).toContain("whole number");
    expect(await failure(["deadletters", "discard"])).toContain("--type");
    expect(await failure(["deadletters", "discard", "--type", "nope"])).toContain("namespace/name");
  });

  it("rejects bad arguments naming them", async () => {
    expect(await failure(["run", "--admin-port", "http"])).toContain("--admin-port");
    expect(await failure(["run", "--port-offset", "-1"])).toContain("--port-offset");
    const noDatabase = await failure(["run", "--store", "postgres://db"]);
    expect(noDatabase).toContain("--store");
    expect(noDatabase).toContain("names no database");
    expect(await failure(["run", "--store", "postgres:///statefun"])).toContain("names no host");
    expect(await failure(["run", "--store", "postgres://:5432/x"])).toContain("does not parse");
    expect(await failure(["run", "--store", "postgres://h/db?schema=Bad-Name"])).toContain('schema="Bad-Name"');
    expect(await failure(["run", "--store", "mysql://h/db"])).toContain("unsupported store URL");
    expect(await failure(["run", "--worker-name", "a b"])).toContain("--worker-name");
    expect(await failure(["run", "--heartbeat", "0s"])).toContain("--heartbeat");
    expect(await failure(["run", "--lease", "soon"])).toContain("--lease");
    expect(await failure(["run", "--heartbeat", "2s", "--lease", "1s"])).toContain("must be longer than '--heartbeat'");
    expect(await failure(["send", "example/greeter"])).toContain("namespace/type/id");
    expect(await failure(["send", "a/b/c", "x", "--type", "noslash"])).toContain("--type");
    expect(await failure(["call", "a/b/c", "--timeout", "soon"])).toContain("--timeout");
    expect(await failure(["state", "a/b/c", "--admin", "ftp://x"])).toContain("--admin");
    expect(await failure(["run", "--bogus"])).toContain("--bogus");
    expect(await failure(["nope"])).toContain("nope");
  });
});
