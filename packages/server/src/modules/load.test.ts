import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadModule, loadModuleFile } from "./load.js";

const fixture = fileURLToPath(new URL("../fixtures/greeter-module.ts", import.meta.url));
const sdkDist = pathToFileURL(fileURLToPath(new URL("../../../sdk/dist/index.js", import.meta.url))).href;

describe("loadModuleFile", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "statefun-load-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("loads a TypeScript module file through tsx", async () => {
    const module = await loadModuleFile(fixture);
    expect(module.functions.map((f) => f.typename)).toEqual(["example/greeter"]);
    expect(module.ingresses.map((i) => i.path)).toEqual(["/greet"]);
    expect(module.egresses.map((e) => e.topic)).toEqual(["greetings"]);
  });

  it("loads a JavaScript module exporting functions by name, relative to cwd", async () => {
    const file = join(dir, "named.mjs");
    await writeFile(
      file,
      `import { statefulFunction, Types } from ${JSON.stringify(sdkDist)};
export const echo = statefulFunction({ typename: "test/echo", accepts: [Types.string], handler() {} });`,
    );
    const module = await loadModuleFile("named.mjs", dir);
    expect(module.functions.map((f) => f.typename)).toEqual(["test/echo"]);
  });

  it("names the file in every error", async () => {
    const noFunctions = join(dir, "empty.mjs");
    await writeFile(noFunctions, "export const x = 1;\n");
    await expect(loadModuleFile(noFunctions)).rejects.toThrow(/empty\.mjs: exports no functions/);

    const broken = join(dir, "broken.ts");
    await writeFile(broken, "export const = ;\n");
    await expect(loadModuleFile(broken)).rejects.toThrow(/broken\.ts: failed to import/);

    const throwing = join(dir, "throwing.mjs");
    await writeFile(throwing, "throw new Error('kaboom');\n");
    await expect(loadModuleFile(throwing)).rejects.toThrow(/throwing\.mjs: failed to import: kaboom/);

    await expect(loadModuleFile(join(dir, "missing.ts"))).rejects.toThrow(/missing\.ts: file not found/);
    await expect(loadModuleFile(join(dir, "module.yaml"))).rejects.toThrow(
      /module\.yaml: a YAML module declares remote endpoints: load it with loadModule\(\)/,
    );
    await expect(loadModuleFile(join(dir, "module.txt"))).rejects.toThrow(/module\.txt: unknown module file type/);
  });

  it("loads a StateFun module.yaml, reading certificates relative to it, and code modules alike", async () => {
    await mkdir(join(dir, "fns", "tls"), { recursive: true });
    await writeFile(join(dir, "fns", "tls", "ca.pem"), "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    await writeFile(
      join(dir, "fns", "module.yml"),
      "kind: io.statefun.endpoints.v2/http\nspec:\n  functions: example/*\n  urlPathTemplate: https://fns/{function.name}\n  transport:\n    trust_cacerts: tls/ca.pem\n",
    );
    const module = await loadModule("fns/module.yml", dir);
    expect(module).toMatchObject({
      source: "fns/module.yml",
      endpoints: [{ functions: "example/*", tls: { ca: expect.stringContaining("MIIB") } }],
    });
    expect(await loadModule(fixture)).toHaveProperty("functions");
    await expect(loadModule("nope.yaml", dir)).rejects.toThrow(/module file nope\.yaml: file not found/);
    await writeFile(join(dir, "bad.yaml"), "kind: io.statefun.kafka.v1/egress\n");
    await expect(loadModule("bad.yaml", dir)).rejects.toThrow(/^bad\.yaml, document 1 \(io\.statefun\.kafka\.v1\/egress\): spec: required/);
  });
});
