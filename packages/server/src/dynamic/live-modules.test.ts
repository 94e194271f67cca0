import { Runtime, silentLogger } from "@statefun-ts/runtime";
import { MemoryStore } from "@statefun-ts/runtime/testing";
import { statefulFunction, statefunModule, Types } from "@statefun-ts/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { LiveModules } from "./live-modules.js";

const opened: LiveModules[] = [];
afterEach(async () => {
  for (const r of opened.splice(0)) await r.close();
});

const cli = statefulFunction({ typename: "cli/f", accepts: [Types.string], handler() {} });

function worker(store: MemoryStore) {
  const runtime = new Runtime({ store, modules: [statefunModule({ functions: [cli] })] });
  const live = new LiveModules({
    runtime,
    store,
    logger: silentLogger,
    baseDir: process.cwd(),
    ingressPort: 8090,
    openIngress: async () => ({ close: async () => {} }),
  });
  opened.push(live);
  return { runtime, live };
}

const remote = (port: number) => JSON.stringify({ kind: "remote", url: `http://127.0.0.1:${port}/{function.name}` });

describe("LiveModules", () => {
  it("stores each change, and a worker sharing the store applies the other's changes when it refreshes", async () => {
    const store = new MemoryStore();
    const a = worker(store);
    const b = worker(store);
    await a.live.start();
    await b.live.start();
    await a.live.putFunction("example/*", remote(1));
    expect(await store.moduleCatalogVersion()).toBe(1);
    expect(a.runtime.functionTypes()).toEqual(["cli/f", "example/*"]);
    expect(b.runtime.functionTypes()).toEqual(["cli/f"]);
    await b.live.refresh();
    expect(b.runtime.functionTypes()).toEqual(["cli/f", "example/*"]);
    expect(b.live.sourceOf("example/*")).toBe("function example/*");

    await b.live.putFunction("example/*", remote(2));
    await b.live.putFunction("other/x", remote(3));
    await a.live.refresh();
    expect(a.live.body("function", "example/*")).toBe(remote(2));
    expect(a.runtime.functionTypes()).toEqual(["cli/f", "example/*", "other/x"]);
    await a.live.remove("function", "other/x");
    await b.live.refresh();
    expect(b.runtime.functionTypes()).toEqual(["cli/f", "example/*"]);
  });

  it("refuses a binding a command-line module or another entry holds, and a bad body, storing nothing", async () => {
    const store = new MemoryStore();
    const { live } = worker(store);
    await live.start();
    await live.putFunction("example/*", remote(1));
    await expect(
      live.putModule("m", `kind: io.statefun.endpoints.v2/http\nspec:\n  functions: example/*\n  urlPathTemplate: http://127.0.0.1:2/\n`),
    ).rejects.toThrow("module m: example/* is bound by function example/*; unload it first");
    await expect(live.putFunction("example/x", '{"kind":"remote","url":"http://h/","retries":3}')).rejects.toThrow(
      "function example/x: retries: unknown field",
    );
    await expect(live.putFunction("example/x", "not json")).rejects.toThrow("function example/x: the body is not JSON");
    await expect(live.putModule("bad name", "")).rejects.toThrow("invalid module name");
    await expect(live.putFunction("cli/f", remote(4))).rejects.toThrow("function cli/f: cli/f is loaded from the command line");
    await expect(live.remove("function", "cli/f")).rejects.toThrow("cli/f is loaded from the command line; it cannot be removed");
    expect(await store.moduleCatalogVersion()).toBe(1);
    expect(live.list("module")).toEqual([]);
  });
});
