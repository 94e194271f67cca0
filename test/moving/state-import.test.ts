import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { IntCodec, StringCodec } from "@statefun-ts/protocol";
import { silentLogger } from "@statefun-ts/runtime";
import { SqliteStore } from "@statefun-ts/store-sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { importState } from "../../packages/server/src/moving/state-import.js";
import { startServer } from "../../packages/server/src/server.js";
import { addr } from "../store/helpers.js";
import { tempDir } from "./helpers.js";

const fixture = fileURLToPath(new URL("../../packages/server/src/fixtures/greeter-module.ts", import.meta.url));
const tmp = tempDir();
afterAll(() => tmp.cleanup());

function seedFile(name: string, lines: unknown[]): string {
  const file = join(tmp.dir, name);
  writeFileSync(file, `${lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n")}\n`);
  return file;
}

describe("statefun state import", () => {
  it("seeds embedded functions' state with their declared types; the function reads it", async () => {
    const data = join(tmp.dir, "embedded");
    const file = seedFile("seed.jsonl", [
      { address: "example/greeter/ann", state: { seen: 41, last: { name: "Ann" } } },
      "",
      { address: "example/greeter/b/with/slashes", state: { seen: 2 } },
    ]);
    expect(await importState({ store: { kind: "sqlite", dir: data }, file, modules: [fixture] })).toEqual({ instances: 2, values: 3 });

    const store = new SqliteStore({ dir: data });
    await store.open();
    const seen = (await store.loadState(addr("b/with/slashes", "greeter", "example"))).find((e) => e.name === "seen");
    expect(seen?.value).toEqual({ typename: "io.statefun.types/int", value: IntCodec.encode(2) });
    await store.close();

    const server = await startServer({
      modules: [fixture],
      dataDir: data,
      ports: { admin: 0, ingress: 0, egress: 0 },
      logger: silentLogger,
    });
    try {
      const reply = await fetch(`http://127.0.0.1:${server.ports.ingress}/example/greeter/ann?await=10s`, { method: "POST", body: "Ann" });
      expect(await reply.text()).toBe("Hello Ann #42");
    } finally {
      await server.close();
    }
  });

  it("encodes remote functions' states with the types they registered", async () => {
    const data = join(tmp.dir, "remote");
    const store = new SqliteStore({ dir: data });
    await store.open();
    await store.saveStateSpecs("shop/cart", [
      { name: "count", typename: "io.statefun.types/int", expiration: { mode: "none" } },
      { name: "owner", typename: "io.statefun.types/string", expiration: { mode: "after-write", millis: 60_000 } },
      { name: "items", typename: "shop/Items", expiration: { mode: "none" } },
    ]);
    await store.close();
    const file = seedFile("remote.jsonl", [{ address: "shop/cart/c1", state: { count: 3, owner: "zoe", items: ["a", "b"] } }]);
    await importState({ store: { kind: "sqlite", dir: data }, file, modules: [], now: 1_000 });
    await store.open();
    try {
      const state = await store.loadState(addr("c1", "cart", "shop"));
      expect(state).toEqual([
        { name: "count", value: { typename: "io.statefun.types/int", value: IntCodec.encode(3) } },
        { name: "items", value: { typename: "shop/Items", value: new TextEncoder().encode('["a","b"]') } },
        { name: "owner", value: { typename: "io.statefun.types/string", value: StringCodec.encode("zoe") }, expiresAt: 61_000 },
      ]);
    } finally {
      await store.close();
    }
  });

  it("reports every value that does not fit with its line, and writes nothing", async () => {
    const data = join(tmp.dir, "bad");
    const file = seedFile("bad.jsonl", [
      { address: "example/greeter/ok", state: { seen: 1 } },
      { address: "example/greeter/bob", state: { seen: "many" } },
      { address: "example/greeter/cy", state: { last: { nom: "x" } } },
      { address: "example/greeter/dee", state: { unknown: 1 } },
      { address: "nope/x/y", state: {} },
      { address: "no-slashes", state: {} },
      "{not json",
    ]);
    const error = await importState({ store: { kind: "sqlite", dir: data }, file, modules: [fixture] }).catch((e: Error) => e);
    expect((error as Error).message.split("\n").slice(1)).toEqual([
      expect.stringMatching(/bad.jsonl line 2: state "seen" \(io.statefun.types\/int\): expected a 32-bit integer, got "many"$/),
      expect.stringMatching(/line 3: state "last" \(example\/GreetRequest\): JSON does not match the schema/),
      expect.stringMatching(/line 4: example\/greeter has no state "unknown" \(it declares: seen, last\)/),
      expect.stringMatching(/line 5: no function nope\/x declares state/),
      expect.stringMatching(/line 6: "address" must be namespace\/type\/id/),
      expect.stringMatching(/line 7: not JSON/),
    ]);
    const store = new SqliteStore({ dir: data });
    await store.open();
    try {
      expect((await store.snapshotCounts()).state).toBe(0);
    } finally {
      await store.close();
    }
  });
});
