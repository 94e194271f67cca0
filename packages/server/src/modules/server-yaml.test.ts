import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, decodeToFunction, encodeFromFunction, reqreply, StringCodec } from "@statefun-ts/protocol";
import { silentLogger } from "@statefun-ts/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../server.js";

/** A StateFun endpoint that answers every batch with an invocation result without effects, recording what it got. */
async function fakeFunctions(): Promise<{ url: string; calls: { path: string; target: string; args: string[] }[]; server: Server }> {
  const calls: { path: string; target: string; args: string[] }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const batch = decodeToFunction(Buffer.concat(chunks)).request.value!;
      const t = batch.target!;
      const args = batch.invocations.map((i) => StringCodec.decode(i.argument!.value));
      calls.push({ path: req.url ?? "", target: `${t.namespace}/${t.type}/${t.id}`, args });
      // A valid answer, so the invocation ends and the server's stop does not wait for its call timeout.
      const result = create(reqreply.FromFunction_InvocationResponseSchema, {});
      const answer = create(reqreply.FromFunctionSchema, { response: { case: "invocationResult", value: result } });
      res.writeHead(200, { "content-type": "application/octet-stream" }).end(encodeFromFunction(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, server };
}

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("startServer with a StateFun module.yaml", () => {
  let dir: string;
  let fake: Awaited<ReturnType<typeof fakeFunctions>>;
  let server: RunningServer;
  let ingressPort: number;
  const url = (name: "ingress" | "egress", path: string) => `http://127.0.0.1:${server.ports[name]}${path}`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "statefun-yaml-server-"));
    fake = await fakeFunctions();
    ingressPort = await freePort();
    const module = join(dir, "module.yaml");
    await writeFile(
      module,
      `kind: io.statefun.endpoints.v2/http
spec:
  functions: example/*
  urlPathTemplate: ${fake.url}/statefun
  transport:
    type: io.statefun.transports.v1/async
    call: 5s
---
kind: io.statefun.playground.v1/ingress
spec:
  port: ${ingressPort - 1}
---
kind: io.statefun.playground.v1/egress
spec:
  port: 8091
  topics:
    - greetings
`,
    );
    // The ingress port comes from the module (plus the offset); the egress port set here wins over the module's.
    server = await startServer({ modules: [module], dataDir: dir, ports: { admin: 0, egress: 0 }, portOffset: 1, logger: silentLogger });
  });

  afterAll(async () => {
    await server?.close();
    await new Promise((resolve) => fake?.server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it("opens the module's ingress port plus the offset, and binds the endpoint's namespace", () => {
    expect(server.ports.ingress).toBe(ingressPort);
    expect(server.ports.egress).not.toBe(8092);
    expect(server.runtime.functionTypes()).toEqual(["example/*"]);
  });

  it("declares the egress topic", async () => {
    expect(server.runtime.egresses().map((e) => e.topic)).toEqual(["greetings"]);
    const empty = await fetch(url("egress", "/greetings"));
    expect(empty.status).toBe(404);
    expect(await empty.text()).toContain('topic \\"greetings\\" has no records');
    expect(await (await fetch(url("egress", "/other"))).text()).toContain("declared topics: greetings");
  });

  it("sends messages for the namespace to the remote endpoint", async () => {
    const put = await fetch(url("ingress", "/example/greeter/bob"), { method: "PUT", body: "hi" });
    expect(put.status).toBe(202);
    const deadline = Date.now() + 10_000;
    while (fake.calls.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(fake.calls[0]).toEqual({ path: "/statefun", target: "example/greeter/bob", args: ["hi"] });
  });

  it("refuses to start on an invalid module file, naming it", async () => {
    const bad = join(dir, "bad.yaml");
    await writeFile(bad, "kind: io.statefun.endpoints.v2/http\nspec:\n  functions: example/*\n");
    await expect(startServer({ modules: [bad], dataDir: dir, logger: silentLogger })).rejects.toThrow(
      `${bad}, document 1 (io.statefun.endpoints.v2/http): spec.urlPathTemplate: required`,
    );
  });
});
