import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { silentLogger } from "@statefun-ts/runtime";
import { statefulFunction, statefunModule, Types, valueSpec } from "@statefun-ts/sdk";
import { serve } from "@statefun-ts/sdk/node";
import { until } from "@statefun-ts/test-kit";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../server.js";

const root = resolve(import.meta.dirname, "../../../..");

/** An embedded module file of type `dyn/counter`, tagged `version`, with an egress topic and an HTTP ingress route. */
function counterModule(version: string): string {
  return `import { egressRef, httpIngress, jsonType, statefulFunction, statefunModule, Types, valueSpec } from "@statefun-ts/sdk";
const out = egressRef("dyn-out", Types.string);
const In = jsonType<{ id: string }>("dyn/In");
const counter = statefulFunction({
  typename: "dyn/counter",
  state: { n: valueSpec("n", Types.int) },
  accepts: [Types.string, In],
  handler(ctx, message) {
    const n = (ctx.state.n.get() ?? 0) + 1;
    ctx.state.n.set(n);
    const text = message.is(In) ? "in" : message.as(Types.string);
    ctx.egress(out, "${version}:" + ctx.self.id + ":" + n + ":" + text);
  },
});
const route = httpIngress({ path: "/dyn-in", type: In, route: (r) => [counter.at(r.id)] });
export default statefunModule({ functions: [counter], egresses: [out], ingresses: [route] });
`;
}

const moduleYaml = (path: string) =>
  `kind: io.statefun-ts.v1/module\nspec:\n  path: ${path}\n---\nkind: io.statefun.playground.v1/egress\nspec:\n  topics: [remote-out]\n`;

describe("dynamic loading (real SQLite store, real HTTP)", () => {
  let dir: string;
  let server: RunningServer | undefined;
  let data = "";
  const url = (name: "admin" | "ingress" | "egress", path: string) => `http://127.0.0.1:${server!.ports[name]}${path}`;
  const start = async (extra: Parameters<typeof startServer>[0] = {}) => {
    server = await startServer({
      dataDir: data,
      ports: { admin: 0, ingress: 0, egress: 0 },
      logger: silentLogger,
      baseDir: dir,
      ...extra,
    });
    return server;
  };
  const send = (path: string, body: string) => fetch(url("ingress", path), { method: "PUT", body });
  const admin = (method: string, path: string, body?: string) => fetch(url("admin", path), { method, body });
  async function take(topic: string, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const response = await fetch(url("egress", `/${topic}`));
      if (response.status === 200) return response.text();
      await response.text();
      if (Date.now() > deadline) throw new Error(`no record on ${topic} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "statefun-dynamic-"));
    // Module files outside the repository resolve the SDK as an application would: from node_modules.
    mkdirSync(join(dir, "node_modules", "@statefun-ts"), { recursive: true });
    symlinkSync(join(root, "packages", "sdk"), join(dir, "node_modules", "@statefun-ts", "sdk"));
  });
  beforeEach(() => {
    data = mkdtempSync(join(dir, "data-"));
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("loads, replaces (new code, state kept) and unloads an embedded module; its ingress route and egress come and go", async () => {
    await start();
    writeFileSync(join(dir, "counter.ts"), counterModule("v1"));
    const put = await admin("PUT", "/v1/modules/counter", moduleYaml("./counter.ts"));
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({
      kind: "module",
      name: "counter",
      functions: ["dyn/counter"],
      files: [join(dir, "counter.ts")],
    });
    expect((await send("/dyn/counter/a", "x")).status).toBe(202);
    expect(await take("dyn-out")).toBe("v1:a:1:x");

    writeFileSync(join(dir, "counter.ts"), counterModule("v2"));
    expect((await admin("PUT", "/v1/modules/counter", moduleYaml("./counter.ts"))).status).toBe(200);
    expect((await send("/dyn/counter/a", "y")).status).toBe(202);
    expect(await take("dyn-out")).toBe("v2:a:2:y");
    expect((await fetch(url("ingress", "/dyn-in"), { method: "POST", body: '{"id":"b"}' })).status).toBe(202);
    expect(await take("dyn-out")).toBe("v2:b:1:in");
    expect(await (await admin("GET", "/v1/modules")).json()).toMatchObject([{ name: "counter", functions: ["dyn/counter"] }]);
    expect(await (await admin("GET", "/v1/modules/counter")).text()).toBe(moduleYaml("./counter.ts"));

    expect((await admin("DELETE", "/v1/modules/counter")).status).toBe(200);
    expect((await fetch(url("ingress", "/dyn-in"), { method: "POST", body: '{"id":"b"}' })).status).toBe(404);
    expect((await fetch(url("egress", "/dyn-out"))).status).toBe(404);
    expect((await send("/dyn/counter/a", "z")).status).toBe(202);
    await until(async () => ((await (await admin("GET", "/v1/parked")).json()) as Record<string, number>)["dyn/counter"] === 1);
    expect(await (await admin("GET", "/metrics")).text()).toContain('statefun_parked_messages_by_type{function_type="dyn/counter"} 1');
    expect((await admin("DELETE", "/v1/modules/counter")).status).toBe(404);

    // Loaded again (after a restart): the parked message is delivered to the new code, on the kept state.
    await server!.close();
    writeFileSync(join(dir, "counter.ts"), counterModule("v3"));
    await start();
    expect((await admin("PUT", "/v1/modules/counter", moduleYaml("./counter.ts"))).status).toBe(200);
    expect(await take("dyn-out")).toBe("v3:a:3:z");
  });

  it("keeps modules loaded through the admin API across restarts", async () => {
    writeFileSync(join(dir, "kept.ts"), counterModule("kept").replaceAll("dyn/counter", "dyn/kept").replaceAll("/dyn-in", "/kept-in"));
    await start();
    expect((await admin("PUT", "/v1/modules/kept", moduleYaml("./kept.ts").replace("remote-out", "kept-out"))).status).toBe(200);
    await server!.close();
    await start();
    expect(await (await admin("GET", "/v1/modules")).json()).toMatchObject([{ name: "kept", functions: ["dyn/kept"] }]);
    expect((await send("/dyn/kept/k", "again")).status).toBe(202);
    expect(await take("dyn-out")).toBe("kept:k:1:again");
    expect((await admin("DELETE", "/v1/modules/kept")).status).toBe(200);
  });

  it("answers a broken module 400 naming the document and the field, and changes nothing", async () => {
    await start();
    writeFileSync(join(dir, "ok.ts"), counterModule("ok").replaceAll("dyn/counter", "dyn/ok").replaceAll("/dyn-in", "/ok-in"));
    expect((await admin("PUT", "/v1/modules/ok", moduleYaml("./ok.ts"))).status).toBe(200);
    const broken = `${moduleYaml("./ok.ts")}---\nkind: io.statefun.endpoints.v2/http\nspec:\n  functions: dyn/*\n  urlPathTemplat: http://127.0.0.1:1/\n`;
    const answer = await admin("PUT", "/v1/modules/ok", broken);
    expect(answer.status).toBe(400);
    const { error } = (await answer.json()) as { error: string };
    expect(error).toContain("module ok, document 3 (io.statefun.endpoints.v2/http)");
    expect(error).toContain("urlPathTemplat");
    const missingFile = await admin("PUT", "/v1/modules/other", moduleYaml("./nope.ts"));
    expect(missingFile.status).toBe(400);
    expect(((await missingFile.json()) as { error: string }).error).toContain("nope.ts");
    expect(await (await admin("GET", "/v1/modules/ok")).text()).toBe(moduleYaml("./ok.ts"));
    expect((await admin("GET", "/v1/modules/other")).status).toBe(404);
    const conflict = await admin("PUT", "/v1/modules/again", moduleYaml("./ok.ts"));
    expect(conflict.status).toBe(409);
    expect(((await conflict.json()) as { error: string }).error).toContain("dyn/ok is bound by module ok");
    expect((await send("/dyn/ok/o", "still")).status).toBe(202);
    expect(await take("dyn-out")).toBe("ok:o:1:still");
    expect((await admin("DELETE", "/v1/modules/ok")).status).toBe(200);
  });

  it("binds, rebinds and unbinds remote endpoints; parked messages are delivered once bound again", async () => {
    const seen = valueSpec("seen", Types.int);
    const fns = (tag: string) =>
      statefunModule({
        functions: [
          statefulFunction({
            typename: "remote/echo",
            state: { seen },
            accepts: [Types.string],
            handler(ctx, message) {
              const n = (ctx.state.seen.get() ?? 0) + 1;
              ctx.state.seen.set(n);
              ctx.egress(
                { egress: "io.statefun.playground/egress", topic: "remote-out", type: Types.string } as never,
                `${tag}:${n}:${message.as(Types.string)}`,
              );
            },
          }),
        ],
      });
    const one = await serve(fns("one"), { port: 0 });
    const two = await serve(fns("two"), { port: 0 });
    try {
      writeFileSync(join(dir, "topics.yaml"), "");
      await start();
      expect(
        (await admin("PUT", "/v1/modules/topics", "kind: io.statefun.playground.v1/egress\nspec:\n  topics: [remote-out]\n")).status,
      ).toBe(200);
      const bind = (base: string) =>
        admin("PUT", "/v1/functions/remote/*", JSON.stringify({ kind: "remote", url: `${base}{function.name}` }));
      expect((await send("/remote/echo/r", "1")).status).toBe(202);
      expect((await bind(one.url)).status).toBe(200);
      expect(await take("remote-out")).toBe("one:1:1");
      expect((await bind(two.url)).status).toBe(200);
      expect((await send("/remote/echo/r", "2")).status).toBe(202);
      expect(await take("remote-out")).toBe("two:2:2");
      expect(await (await admin("GET", "/v1/functions/remote/*")).json()).toMatchObject({
        binding: { kind: "remote", url: `${two.url}{function.name}` },
      });
      expect((await admin("DELETE", "/v1/functions/remote/*")).status).toBe(200);
      expect((await send("/remote/echo/r", "3")).status).toBe(202);
      await until(async () => ((await (await admin("GET", "/v1/parked")).json()) as Record<string, number>)["remote/echo"] === 1);
      expect((await bind(one.url)).status).toBe(200);
      expect(await take("remote-out")).toBe("one:3:3");
      // An escaped "/" does not make a type name of three parts.
      const slashed = await admin("PUT", "/v1/functions/a%2Fb/c", JSON.stringify({ kind: "remote", url: `${one.url}{function.name}` }));
      expect(slashed.status).toBe(400);
      expect(await slashed.json()).toEqual({ code: "STATEFUN_BAD_REQUEST", error: expect.stringContaining('"a/b"') });
      expect((await admin("GET", "/v1/functions/a%2Fb/c")).status).toBe(400);
      const bad = await admin("PUT", "/v1/functions/remote/x", JSON.stringify({ kind: "remote", url: "ftp://nowhere/" }));
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toContain("function remote/x: url");
    } finally {
      await server?.close();
      server = undefined;
      await one.close();
      await two.close();
    }
  });

  it("refuses a module whose ingress port cannot be opened (409 naming it), and a stored one that fails at start does not keep the worker down", async () => {
    const blocker = await occupy();
    try {
      await start();
      const ingressOn = (port: number) => `kind: io.statefun.playground.v1/ingress\nspec:\n  port: ${port}\n`;
      const refused = await admin("PUT", "/v1/modules/pi1", ingressOn(blocker.port));
      expect(refused.status).toBe(409);
      expect(await refused.json()).toMatchObject({ code: "STATEFUN_CONFLICT", error: expect.stringContaining(`port ${blocker.port}`) });
      expect(await (await admin("GET", "/v1/modules")).json()).toEqual([]);

      // Stored while its port was free; the next start gives that port to the worker's own egress server.
      const free = await occupy();
      await free.close();
      expect((await admin("PUT", "/v1/modules/pi2", ingressOn(free.port))).status).toBe(200);
      await server!.close();
      await start({ ports: { admin: 0, ingress: 0, egress: free.port } });
      expect(server!.ports.egress).toBe(free.port);
      const [listed] = (await (await admin("GET", "/v1/modules")).json()) as { name: string; error?: string }[];
      expect(listed).toMatchObject({ name: "pi2", error: expect.stringContaining(`port ${free.port}`) });
      // Its stored text can be read back to fix it, as that of a module that loaded.
      const stored = await admin("GET", "/v1/modules/pi2");
      expect(stored.status).toBe(200);
      expect(await stored.text()).toBe(ingressOn(free.port));
      expect((await admin("DELETE", "/v1/modules/pi2")).status).toBe(200);
    } finally {
      await blocker.close();
    }
  });

  it("gives a module's import a deadline, answers a change that waits too long for another 503, and checks what it can before running module code", async () => {
    const marker = join(dir, "ran.txt");
    const ranOnImport = (name: string) =>
      `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(marker)}, ${JSON.stringify(name)});\n${counterModule(name).replaceAll("dyn/counter", `dyn/${name}`).replaceAll("/dyn-in", `/${name}-in`)}`;
    mkdirSync(join(dir, "allowed"), { recursive: true });
    writeFileSync(join(dir, "outside.ts"), ranOnImport("outside"));
    writeFileSync(join(dir, "allowed", "conflicting.ts"), ranOnImport("conflicting"));
    writeFileSync(join(dir, "allowed", "fine.ts"), ranOnImport("fine"));
    await start({ importTimeoutMs: 2000, adminQueueTimeoutMs: 200, modulesDirs: [join(dir, "allowed")] });
    const embedded = (path: string) => `kind: io.statefun-ts.v1/module\nspec:\n  path: ${path}\n`;

    // Outside --modules-dir: refused before it runs.
    const outside = await admin("PUT", "/v1/modules/outside", embedded("./outside.ts"));
    expect(outside.status).toBe(400);
    expect(((await outside.json()) as { error: string }).error).toContain("--modules-dir");
    // A conflict visible without the code (an endpoint another entry binds), or a bad endpoint: refused before it runs.
    expect((await admin("PUT", "/v1/functions/other/*", JSON.stringify({ kind: "remote", url: "http://127.0.0.1:1/" }))).status).toBe(200);
    const endpoint = (url: string) => `---\nkind: io.statefun.endpoints.v2/http\nspec:\n  functions: other/*\n  urlPathTemplate: ${url}\n`;
    const conflicting = await admin(
      "PUT",
      "/v1/modules/conflicting",
      embedded("./allowed/conflicting.ts") + endpoint("http://127.0.0.1:1/"),
    );
    expect(conflicting.status).toBe(409);
    const badUrl = await admin("PUT", "/v1/modules/conflicting", embedded("./allowed/conflicting.ts") + endpoint("ftp://nowhere/"));
    expect(badUrl.status).toBe(400);
    expect(existsSync(marker)).toBe(false);

    const started = join(dir, "hangs-started.txt");
    writeFileSync(
      join(dir, "allowed", "hangs.mts"),
      `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(started)}, "");\nawait new Promise(() => {});\nexport default {};\n`,
    );
    const hanging = admin("PUT", "/v1/modules/hangs", embedded("./allowed/hangs.mts"));
    await until(async () => existsSync(started));
    const busy = await admin("PUT", "/v1/modules/fine", embedded("./allowed/fine.ts"));
    expect(busy.status).toBe(503);
    expect(((await busy.json()) as { error: string }).error).toContain("another admin change");
    const timedOut = await hanging;
    expect(timedOut.status).toBe(504);
    expect(((await timedOut.json()) as { error: string }).error).toContain("hangs.mts");
    expect((await admin("PUT", "/v1/modules/fine", embedded("./allowed/fine.ts"))).status).toBe(200);
    expect(readFileSync(marker, "utf8")).toBe("fine");
    expect((await admin("GET", "/v1/modules")).status).toBe(200);
  });

  it("treats command-line module types as bound: GET shows them, a namespace over them is refused, topics and egress ports of admin modules are honest", async () => {
    writeFileSync(
      join(dir, "cli.yaml"),
      "kind: io.statefun.endpoints.v2/http\nspec:\n  functions: example/person\n  urlPathTemplate: http://127.0.0.1:1/{function.name}\n---\nkind: io.statefun.playground.v1/egress\nspec:\n  topics: [greetings]\n",
    );
    await start({ modules: [join(dir, "cli.yaml")] });
    const person = await admin("GET", "/v1/functions/example/person");
    expect(person.status).toBe(200);
    expect(await person.json()).toMatchObject({ typename: "example/person", source: "command line", parked: 0 });
    expect((await admin("GET", "/v1/functions/example/nobody")).status).toBe(404);

    const over = await admin("PUT", "/v1/functions/example/*", JSON.stringify({ kind: "remote", url: "http://127.0.0.1:1/" }));
    expect(over.status).toBe(409);
    expect(((await over.json()) as { error: string }).error).toContain("example/person");

    const topics = "kind: io.statefun.playground.v1/egress\nspec:\n  topics: [greetings, more]\n";
    expect((await admin("PUT", "/v1/modules/topics", topics)).status).toBe(200);
    expect(await (await admin("GET", "/v1/modules")).json()).toMatchObject([{ name: "topics", topics: ["greetings", "more"] }]);

    const egressPort = await admin(
      "PUT",
      "/v1/modules/port",
      "kind: io.statefun.playground.v1/egress\nspec:\n  port: 9999\n  topics: [x]\n",
    );
    expect(egressPort.status).toBe(400);
    expect(((await egressPort.json()) as { error: string }).error).toContain("port 9999");
  });

  it("requires a bearer token off loopback, compared in full", async () => {
    await expect(start({ adminHost: "0.0.0.0", adminToken: "" })).rejects.toThrow(/STATEFUN_ADMIN_TOKEN/);
    await expect(start({ adminHost: "0.0.0.0", adminToken: "x" })).rejects.toThrow("at least 16 characters");
    await expect(start({ adminToken: "short-token" })).rejects.toThrow("at least 16 characters");
    const token = "s3cret-s3cret-s3cret";
    await start({ adminHost: "0.0.0.0", adminToken: token });
    expect((await admin("GET", "/v1/modules")).status).toBe(401);
    const wrong = await fetch(url("admin", "/v1/modules"), { headers: { authorization: `Bearer ${token.slice(0, -1)}` } });
    expect(wrong.status).toBe(401);
    const right = await fetch(url("admin", "/v1/modules"), { headers: { authorization: `Bearer ${token}` } });
    expect(right.status).toBe(200);
    expect((await admin("GET", "/healthz")).status).toBe(200);
  });
});
/** A TCP listener on 127.0.0.1 (a free port unless given), holding it until closed. */
async function occupy(port = 0): Promise<{ port: number; close(): Promise<void> }> {
  const listener: Server = createServer();
  await new Promise<void>((ok, fail) => {
    listener.once("error", fail);
    listener.listen(port, "127.0.0.1", ok);
  });
  const bound = (listener.address() as { port: number }).port;
  return { port: bound, close: () => new Promise((ok) => listener.close(() => ok())) };
}
