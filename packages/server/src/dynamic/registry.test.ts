import { Runtime, silentLogger } from "@statefun-ts/runtime";
import { MemoryStore } from "@statefun-ts/runtime/testing";
import { statefulFunction, statefunModule, Types } from "@statefun-ts/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { DynamicRegistry } from "./registry.js";

const registries: DynamicRegistry[] = [];
afterEach(async () => {
  for (const r of registries.splice(0)) await r.close();
});

const cli = statefulFunction({ typename: "cli/f", accepts: [Types.string], handler() {} });

function worker(store: MemoryStore) {
  const runtime = new Runtime({ store, modules: [statefunModule({ functions: [cli] })] });
  const registry = new DynamicRegistry({
    runtime,
    store,
    logger: silentLogger,
    baseDir: process.cwd(),
    ingressPort: 8090,
    openIngress: async () => ({ close: async () => {} }),
  });
  registries.push(registry);
  return { runtime, registry };
}

const remote = (port: number) => JSON.stringify({ kind: "remote", url: `http://127.0.0.1:${port}/{function.name}` });

describe("DynamicRegistry", () => {
  it("stores each change, and a worker sharing the store applies the other's changes when it refreshes", async () => {
    const store = new MemoryStore();
    const a = worker(store);
    const b = worker(store);
    await a.registry.start();
    await b.registry.start();
    await a.registry.putFunction("example/*", remote(1));
    expect(await store.registryVersion()).toBe(1);
    expect(a.runtime.functionTypes()).toEqual(["cli/f", "example/*"]);
    expect(b.runtime.functionTypes()).toEqual(["cli/f"]);
    await b.registry.refresh();
    expect(b.runtime.functionTypes()).toEqual(["cli/f", "example/*"]);
    expect(b.registry.sourceOf("example/*")).toBe("function example/*");

    await b.registry.putFunction("example/*", remote(2));
    await b.registry.putFunction("other/x", remote(3));
    await a.registry.refresh();
    expect(a.registry.body("function", "example/*")).toBe(remote(2));
    expect(a.runtime.functionTypes()).toEqual(["cli/f", "example/*", "other/x"]);
    await a.registry.remove("function", "other/x");
    await b.registry.refresh();
    expect(b.runtime.functionTypes()).toEqual(["cli/f", "example/*"]);
  });

  it("refuses a binding a command-line module or another entry holds, and a bad body, storing nothing", async () => {
    const store = new MemoryStore();
    const { registry } = worker(store);
    await registry.start();
    await registry.putFunction("example/*", remote(1));
    await expect(
      registry.putModule(
        "m",
        `kind: io.statefun.endpoints.v2/http\nspec:\n  functions: example/*\n  urlPathTemplate: http://127.0.0.1:2/\n`,
      ),
    ).rejects.toThrow("module m: example/* is bound by function example/*; unload it first");
    await expect(registry.putFunction("example/x", '{"kind":"remote","url":"http://h/","retries":3}')).rejects.toThrow(
      "function example/x: retries: unknown field",
    );
    await expect(registry.putFunction("example/x", "not json")).rejects.toThrow("function example/x: the body is not JSON");
    await expect(registry.putModule("bad name", "")).rejects.toThrow("invalid module name");
    await expect(registry.putFunction("cli/f", remote(4))).rejects.toThrow("function cli/f: cli/f is loaded from the command line");
    await expect(registry.remove("function", "cli/f")).rejects.toThrow("cli/f is loaded from the command line; it cannot be removed");
    expect(await store.registryVersion()).toBe(1);
    expect(registry.list("module")).toEqual([]);
  });
});
