import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseModuleYaml } from "./parse.js";

const pem = (what: string) => `-----BEGIN ${what}-----\nMIIB\n-----END ${what}-----\n`;

describe("parseModuleYaml", () => {
  it("reads the StateFun 3.x playground greeter module.yaml", async () => {
    const text = `kind: io.statefun.endpoints.v2/http
spec:
  functions: example/*
  urlPathTemplate: http://localhost:8000/statefun
---
kind: io.statefun.playground.v1/ingress
spec:
  port: 8090
---
kind: io.statefun.playground.v1/egress
spec:
  port: 8091
  topics:
    - greetings
`;
    expect(await parseModuleYaml(text, "module.yaml")).toEqual({
      source: "module.yaml",
      endpoints: [{ functions: "example/*", urlPathTemplate: "http://localhost:8000/statefun" }],
      ingresses: [{ port: 8090 }],
      egresses: [{ port: 8091, topics: ["greetings"] }],
    });
  });

  it("reads io.statefun.endpoints.v1/http with its timeouts", async () => {
    const text = `kind: io.statefun.endpoints.v1/http
spec:
  functions: com.example.fns/greeter
  urlPathTemplate: https://bar.foo.com:8080/{function.name}
  maxNumBatchRequests: 500
  timeouts:
    call: 1 min
    connect: 10 sec
    read: 10s
    write: 500ms
`;
    const module = await parseModuleYaml(text, "v1.yaml");
    expect(module.endpoints).toEqual([
      {
        functions: "com.example.fns/greeter",
        urlPathTemplate: "https://bar.foo.com:8080/{function.name}",
        maxNumBatchRequests: 500,
        timeouts: { callMs: 60_000, connectMs: 10_000, readMs: 10_000, writeMs: 500 },
      },
    ]);
  });

  it("reads the async transport: durations in StateFun's syntax, pool and payload sizes", async () => {
    const text = `kind: io.statefun.endpoints.v2/http
spec:
  functions: example/*
  urlPathTemplate: http+unix:///tmp/fns.sock/statefun/{function.name}
  transport:
    type: io.statefun.transports.v1/async
    call: 2m
    connect: 20s
    read: 1500
    write: 1h
    pool_ttl: 15s
    pool_size: 1024
    payload_max_bytes: 33554432
`;
    const [endpoint] = (await parseModuleYaml(text, "async.yaml")).endpoints;
    expect(endpoint).toEqual({
      functions: "example/*",
      urlPathTemplate: "http+unix:///tmp/fns.sock/statefun/{function.name}",
      timeouts: { callMs: 120_000, connectMs: 20_000, readMs: 1500, writeMs: 3_600_000 },
      poolSize: 1024,
      payloadMaxBytes: 33554432,
    });
  });

  it("reads the default transport's nested timeouts, which win over the flat ones as in StateFun", async () => {
    const text = `kind: io.statefun.endpoints.v2/http
spec:
  functions: example/greeter
  urlPathTemplate: http://127.0.0.1:8000/
  transport:
    call: 5s
    timeouts:
      call: 1 min
      read: 30 sec
`;
    const [endpoint] = (await parseModuleYaml(text, "okhttp.yaml")).endpoints;
    expect(endpoint?.timeouts).toEqual({ callMs: 60_000, readMs: 30_000 });
  });

  describe("TLS files", () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "statefun-yaml-tls-"));
      await mkdir(join(dir, "certs"));
      await writeFile(join(dir, "certs", "ca.pem"), pem("CERTIFICATE"));
      await writeFile(join(dir, "client.crt"), pem("CERTIFICATE"));
      await writeFile(join(dir, "client.key"), pem("PRIVATE KEY"));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it("reads trust_cacerts, client_cert and client_key relative to the module file, as paths or file: URLs", async () => {
      const text = `kind: io.statefun.endpoints.v2/http
spec:
  functions: example/*
  urlPathTemplate: https://functions.internal/{function.name}
  transport:
    type: io.statefun.transports.v1/async
    trust_cacerts: certs/ca.pem
    client_cert: file:client.crt
    client_key: ${pathToFileURL(join(dir, "client.key")).href}
`;
      const [endpoint] = (await parseModuleYaml(text, "tls.yaml", { baseDir: dir })).endpoints;
      expect(endpoint?.tls).toEqual({ ca: pem("CERTIFICATE"), cert: pem("CERTIFICATE"), key: pem("PRIVATE KEY") });
    });

    it("takes absolute paths and inline PEM text", async () => {
      const text = `kind: io.statefun.endpoints.v2/http
spec:
  functions: example/*
  urlPathTemplate: https://functions.internal/{function.name}
  transport:
    trust_cacerts: ${join(dir, "certs", "ca.pem")}
    client_cert: |
${pem("CERTIFICATE")
  .trimEnd()
  .split("\n")
  .map((l) => `      ${l}`)
  .join("\n")}
    client_key: file:${join(dir, "client.key")}
`;
      const [endpoint] = (await parseModuleYaml(text, "tls.yaml", { baseDir: "/nowhere" })).endpoints;
      expect(endpoint?.tls).toEqual({ ca: pem("CERTIFICATE"), cert: pem("CERTIFICATE"), key: pem("PRIVATE KEY") });
    });
  });

  it("numbers documents by their place in the file and skips empty ones", async () => {
    const text = `---
# an empty first document
---
kind: io.statefun.playground.v1/ingress
---
kind: io.statefun.playground.v1/egress
spec: { topics: [a, b.c] }
---
`;
    const module = await parseModuleYaml(text, "m.yaml");
    expect(module.ingresses).toEqual([{}]);
    expect(module.egresses).toEqual([{ topics: ["a", "b.c"] }]);
    await expect(parseModuleYaml(text.replace("[a, b.c]", "[a, 'b c']"), "m.yaml")).rejects.toThrow(
      'm.yaml, document 3 (io.statefun.playground.v1/egress): spec.topics[1]: expected a topic of letters, digits, "_", "-" and ".", got "b c"',
    );
  });

  it("reads the endpoints of StateFun 3.0's single-document layout", async () => {
    const text = `version: "3.0"
module:
  meta:
    type: remote
  spec:
    endpoints:
      - endpoint:
          meta:
            kind: http
          spec:
            functions: example/*
            urlPathTemplate: http://localhost:8000/{function.name}
            maxNumBatchRequests: 10
            timeouts:
              call: 2 min
`;
    expect(await parseModuleYaml(text, "old.yaml")).toEqual({
      source: "old.yaml",
      endpoints: [
        {
          functions: "example/*",
          urlPathTemplate: "http://localhost:8000/{function.name}",
          maxNumBatchRequests: 10,
          timeouts: { callMs: 120_000 },
        },
      ],
      ingresses: [],
      egresses: [],
    });
  });
});

describe("io.statefun-ts.v1/module", () => {
  it("reads embedded module paths, resolved from the module's directory, and refuses other files", async () => {
    const text = "kind: io.statefun-ts.v1/module\nspec:\n  path: ./fns/module.ts\n";
    expect((await parseModuleYaml(text, "m.yaml", { baseDir: "/srv/app" })).embedded).toEqual([{ path: "/srv/app/fns/module.ts" }]);
    await expect(parseModuleYaml(text.replace("module.ts", "module.py"), "m.yaml")).rejects.toThrow(
      "m.yaml, document 1 (io.statefun-ts.v1/module): spec.path: expected the path of a .ts, .mts, .js or .mjs module file",
    );
  });
});
