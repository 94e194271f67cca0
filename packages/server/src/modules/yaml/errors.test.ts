import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StatefunError } from "@statefun-ts/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseModuleYaml } from "./parse.js";

const V2 = "io.statefun.endpoints.v2/http";

/** The message of the error parsing `text` as module.yaml, checked to be a STATEFUN_BAD_MODULE. */
async function failure(text: string, baseDir?: string): Promise<string> {
  const error = await parseModuleYaml(text, "module.yaml", baseDir === undefined ? {} : { baseDir }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StatefunError);
  expect((error as StatefunError).code).toBe("STATEFUN_BAD_MODULE");
  return (error as Error).message;
}

const endpoint = (spec: string) => `kind: ${V2}\nspec:\n${spec.replace(/^/gm, "  ")}\n`;
const greeter = "functions: example/*\nurlPathTemplate: http://localhost:8000/statefun";

describe("module YAML errors name the file, the document, its kind and the field", () => {
  it("unknown kind, and kinds that come later", async () => {
    const text = `${endpoint(greeter)}---\nkind: com.example/thing\nspec: {}\n---\nkind: io.statefun.kinesis.v1/ingress\nspec: {}\n`;
    expect((await failure(text)).split("\n")).toEqual([
      "module.yaml, document 2 (com.example/thing): kind: unknown kind (supported kinds: io.statefun.endpoints.v2/http, io.statefun.endpoints.v1/http, io.statefun.playground.v1/ingress, io.statefun.playground.v1/egress, io.statefun.kafka.v1/ingress, io.statefun.kafka.v1/egress, io.statefun-ts.v1/module)",
      "module.yaml, document 3 (io.statefun.kinesis.v1/ingress): kind: Kinesis ingresses are not supported (supported kinds: io.statefun.endpoints.v2/http, io.statefun.endpoints.v1/http, io.statefun.playground.v1/ingress, io.statefun.playground.v1/egress, io.statefun.kafka.v1/ingress, io.statefun.kafka.v1/egress, io.statefun-ts.v1/module)",
    ]);
  });

  it("missing kind, missing spec, a document that is not a mapping", async () => {
    expect(await failure("spec: {}\n")).toMatch(/^module\.yaml, document 1: kind: required \(supported kinds: /);
    expect(await failure(`kind: ${V2}\n`)).toBe(`module.yaml, document 1 (${V2}): spec: required`);
    expect(await failure("- a\n- b\n")).toBe("module.yaml, document 1: expected a mapping with kind and spec, got a list");
    expect(await failure("kind: 3\n")).toMatch(/^module\.yaml, document 1: kind: expected a string, got 3 /);
  });

  it("a missing field", async () => {
    expect(await failure(`---\n${endpoint("functions: example/*")}`)).toBe(
      `module.yaml, document 1 (${V2}): spec.urlPathTemplate: required`,
    );
    expect(await failure(`kind: io.statefun.playground.v1/egress\nspec:\n  port: 8091\n`)).toBe(
      "module.yaml, document 1 (io.statefun.playground.v1/egress): spec.topics: required",
    );
  });

  it("a field of the wrong type", async () => {
    expect(await failure(endpoint(`${greeter}\nmaxNumBatchRequests: many`))).toBe(
      `module.yaml, document 1 (${V2}): spec.maxNumBatchRequests: expected a number, got "many"`,
    );
    expect(await failure(endpoint(`${greeter}\nmaxNumBatchRequests: 0`))).toBe(
      `module.yaml, document 1 (${V2}): spec.maxNumBatchRequests: expected a value > 0, got 0`,
    );
    expect(await failure(endpoint(`${greeter}\ntransport:\n  pool_size: 1.5`))).toBe(
      `module.yaml, document 1 (${V2}): spec.transport.pool_size: expected a whole number, got 1.5`,
    );
    expect(await failure(endpoint(`${greeter}\ntransport: async`))).toBe(
      `module.yaml, document 1 (${V2}): spec.transport: expected a mapping, got "async"`,
    );
    expect(await failure(endpoint("functions: example/*\nurlPathTemplate:"))).toBe(
      `module.yaml, document 1 (${V2}): spec.urlPathTemplate: expected a string, got an empty value`,
    );
    expect(await failure("kind: io.statefun.playground.v1/ingress\nspec:\n  port: 70000\n")).toBe(
      "module.yaml, document 1 (io.statefun.playground.v1/ingress): spec.port: expected a value <= 65535, got 70000",
    );
    expect(await failure(endpoint(`${greeter}\ntransport:\n  type: io.statefun.transports.v1/grpc`))).toBe(
      `module.yaml, document 1 (${V2}): spec.transport.type: expected "io.statefun.transports.v1/async" or "io.statefun.transports.v1/okhttp", got "io.statefun.transports.v1/grpc"`,
    );
  });

  it("an unknown field, with the field it probably meant", async () => {
    expect(await failure(endpoint("functions: example/*\nurlPathTemplat: http://x/"))).toBe(
      [
        `module.yaml, document 1 (${V2}): spec.urlPathTemplate: required`,
        `module.yaml, document 1 (${V2}): spec.urlPathTemplat: unknown field (did you mean urlPathTemplate?)`,
      ].join("\n"),
    );
    expect(await failure(endpoint(`${greeter}\ntransport:\n  timeouts:\n    cal: 1s\n  colour: blue`))).toBe(
      [
        `module.yaml, document 1 (${V2}): spec.transport.timeouts.cal: unknown field (did you mean call?)`,
        `module.yaml, document 1 (${V2}): spec.transport.colour: unknown field (expected one of: type, timeouts, call, connect, read, write, pool_ttl, pool_size, payload_max_bytes, trust_cacerts, client_cert, client_key, client_key_password)`,
      ].join("\n"),
    );
    expect(await failure(`kind: ${V2}\nspecs: {}\n`)).toBe(
      [
        `module.yaml, document 1 (${V2}): spec: required`,
        `module.yaml, document 1 (${V2}): specs: unknown field (did you mean spec?)`,
      ].join("\n"),
    );
  });

  it("a bad duration", async () => {
    expect(await failure(endpoint(`${greeter}\ntransport:\n  call: soon`))).toBe(
      `module.yaml, document 1 (${V2}): spec.transport.call: expected a duration such as 500ms, 10s, 2m or 1h, got "soon"`,
    );
    expect(await failure(endpoint(`${greeter}\ntransport:\n  timeouts:\n    connect: 0s`))).toBe(
      `module.yaml, document 1 (${V2}): spec.transport.timeouts.connect: expected a duration longer than 0, got "0s"`,
    );
    expect(await failure(endpoint(`${greeter}\ntransport:\n  read: [1s]`))).toBe(
      `module.yaml, document 1 (${V2}): spec.transport.read: expected a duration such as 500ms, 10s, 2m or 1h, got a list`,
    );
  });

  it("a bad function type or URL", async () => {
    expect(await failure(endpoint("functions: nope\nurlPathTemplate: http://x/"))).toBe(
      `module.yaml, document 1 (${V2}): spec.functions: expected a function type namespace/name or namespace/* (e.g. example/greeter or example/*), got "nope"`,
    );
    expect(await failure(endpoint("functions: example/gr*\nurlPathTemplate: http://x/"))).toMatch(
      /spec\.functions: expected a function type/,
    );
    expect(await failure(endpoint("functions: example/*\nurlPathTemplate: ftp://x/{function.name}"))).toBe(
      `module.yaml, document 1 (${V2}): spec.urlPathTemplate: expected an http://, https:// or http+unix:///path/to.sock/path URL, got "ftp://x/{function.name}"`,
    );
    expect(await failure(endpoint("functions: example/*\nurlPathTemplate: localhost:8000"))).toMatch(
      /spec\.urlPathTemplate: expected an http:\/\//,
    );
  });

  it("YAML syntax errors name the file, line and column", async () => {
    expect(await failure("kind: a\nspec:\n  functions: [example/*\n")).toBe(
      "module.yaml, line 4, column 1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]",
    );
    expect(await failure(`kind: ${V2}\nspec: {}\nspec: {}\n`)).toBe("module.yaml, line 3, column 1: invalid YAML: Map keys must be unique");
    expect(await failure("kind: a\nspec:\n  x: *nothing\n")).toBe(
      "module.yaml, line 3, column 6: invalid YAML: unknown alias *nothing (no &nothing before it)",
    );
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (const [from, to] of [
      ["a", "b"],
      ["b", "c"],
      ["c", "d"],
      ["d", "e"],
      ["e", "f"],
      ["f", "g"],
    ])
      bomb.push(`${to}: &${to} [${Array(9).fill(`*${from}`).join(", ")}]`);
    expect(await failure(`${bomb.join("\n")}\n`)).toMatch(/^module\.yaml, line 1, column 1: invalid YAML: Excessive alias count/);
  });

  it("a document nested too deeply for the parser says so, not that the stack overflowed", async () => {
    const deep = `kind: ${V2}\nspec: ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`;
    expect(await failure(deep)).toMatch(
      /^module\.yaml, line 2, column \d+: invalid YAML: nested too deeply \(collections inside collections/,
    );
  });

  it("a document nested past 1000 levels is refused before parsing (a 1 MB body of [ exhausted the heap), naming where", async () => {
    const flow = (n: number) => `kind: ${V2}\nspec: ${"[".repeat(n)}${"]".repeat(n)}\n`;
    const nested =
      /^module\.yaml, line 2, column (\d+): invalid YAML: nested too deeply \(collections inside collections, more than 1000 levels/;
    expect(await failure(flow(1001))).toMatch(nested);
    expect((await failure(flow(1001))).match(nested)?.[1]).toBe("1006");
    expect(await failure(`kind: ${V2}\nspec:\n  ${"- ".repeat(1001)}a\n`)).toMatch(/line 3, column \d+: invalid YAML: nested too deeply/);
    expect(await failure(`kind: ${V2}\nspec: ${"[".repeat(520_000)}\n`)).toMatch(nested);
    // 900 levels are only refused for what they hold, not for their depth.
    expect(await failure(flow(900))).not.toMatch(/nested too deeply/);
    expect(await failure(`kind: ${V2}\nspec: |\n${" ".repeat(2000)}text\n`)).not.toMatch(/nested too deeply/);
    expect(await failure(`kind: ${V2}\nspec: [${"{a: b}, ".repeat(1500)}]\n`)).not.toMatch(/nested too deeply/);
  });

  it("a document of more than 20000 values is refused before parsing (250,000 empty lists in 1 MB exhausted the heap)", async () => {
    const wide = `kind: ${V2}\nspec: [${"[], ".repeat(250_000)}]\n`;
    expect(await failure(wide)).toMatch(
      /^module\.yaml, line 2, column \d+: invalid YAML: too large: more than 20000 values, collections and entries/,
    );
    const pairs = `kind: ${V2}\nspec:\n${Array.from({ length: 11_000 }, (_, i) => `  k${i}: v\n`).join("")}`;
    expect(await failure(pairs)).toMatch(/line \d+, column \d+: invalid YAML: too large/);
    const functions = endpoint(
      `functions: [${Array.from({ length: 5000 }, (_, i) => `"a/f${i}"`).join(", ")}]\nurlPathTemplate: http://127.0.0.1:1/x`,
    );
    expect(await failure(functions)).not.toMatch(/too large/);
  });

  it("an empty file, and older layouts", async () => {
    expect(await failure("# nothing here\n")).toBe(
      'module.yaml: no documents: expected kind/spec documents such as "kind: io.statefun.endpoints.v2/http"',
    );
    expect(await failure('version: "2.0"\nmodule: {}\n')).toBe(
      'module.yaml (version 2.0 layout): version: module files of version 2.0 (StateFun 2.x and older) are not supported: write StateFun 3.x kind/spec documents such as "kind: io.statefun.endpoints.v2/http"',
    );
    const legacy = `version: "3.0"
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
    ingresses:
      - ingress:
          meta:
            type: io.statefun.kafka/ingress
`;
    expect((await failure(legacy)).split("\n")).toEqual([
      "module.yaml (version 3.0 layout): module.spec.endpoints[0].endpoint.spec.urlPathTemplate: required",
      "module.yaml (version 3.0 layout): module.spec.ingresses: ingresses and egresses of the version 3.0 layout (Kafka, Kinesis) are not supported: declare them as kind/spec documents",
    ]);
  });

  describe("TLS references", () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "statefun-yaml-errors-"));
      await writeFile(join(dir, "ca.der"), Buffer.from([0x30, 0x82, 0x01]));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    const tls = (fields: string) =>
      endpoint(`functions: example/*\nurlPathTemplate: https://fns/{function.name}\ntransport:\n${fields.replace(/^/gm, "  ")}`);

    it("classpath: is refused, a missing or non-PEM file is named", async () => {
      expect(await failure(tls("trust_cacerts: classpath:ca.pem"))).toBe(
        `module.yaml, document 1 (${V2}): spec.transport.trust_cacerts: classpath: references are not supported (there is no Java classpath): give a file path, absolute or relative to the module file, got "classpath:ca.pem"`,
      );
      expect(await failure(tls("trust_cacerts: missing.pem"), dir)).toBe(
        `module.yaml, document 1 (${V2}): spec.transport.trust_cacerts: cannot read missing.pem (${join(dir, "missing.pem")}): no such file`,
      );
      expect(await failure(tls("trust_cacerts: ca.der"), dir)).toBe(
        `module.yaml, document 1 (${V2}): spec.transport.trust_cacerts: ca.der (${join(dir, "ca.der")}) is not PEM: expected a -----BEGIN ...----- block`,
      );
    });

    it("a client certificate needs its key, and a key password its key", async () => {
      expect(await failure(tls("client_cert: client.crt"))).toBe(
        `module.yaml, document 1 (${V2}): spec.transport.client_key: required for mutual TLS: client_cert and client_key go together`,
      );
      expect(await failure(tls("client_key_password: /run/secrets/pw"))).toBe(
        `module.yaml, document 1 (${V2}): spec.transport.client_key_password: the password of client_key: give client_key too`,
      );
    });
  });

  it("reports every problem of every document at once", async () => {
    const text = `${endpoint("functions: nope")}---\nkind: io.statefun.playground.v1/egress\nspec:\n  topics: x\n`;
    expect((await failure(text)).split("\n")).toEqual([
      `module.yaml, document 1 (${V2}): spec.functions: expected a function type namespace/name or namespace/* (e.g. example/greeter or example/*), got "nope"`,
      `module.yaml, document 1 (${V2}): spec.urlPathTemplate: required`,
      'module.yaml, document 2 (io.statefun.playground.v1/egress): spec.topics: expected a list, got "x"',
    ]);
  });
});
