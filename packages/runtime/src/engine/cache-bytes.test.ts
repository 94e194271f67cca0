import type { Address } from "@statefun-ts/protocol";
import { statefulFunction, statefunModule, Types, valueSpec } from "@statefun-ts/sdk";
import { typed } from "@statefun-ts/test-kit";
import { afterEach, describe, expect, it } from "vitest";
import { Runtime } from "../runtime.js";
import { MemoryStore } from "../store/memory-store.js";
import type { StateEntry } from "../store/types.js";
import { addressBytes, CacheBytes, entryBytes } from "./cache-bytes.js";
import { Mailbox } from "./mailbox.js";

const entry = (name: string, size: number): StateEntry => ({
  name,
  value: { typename: "test/bytes", value: new Uint8Array(size) },
  expiresAt: undefined,
});

describe("a mailbox's bytes in the cache", () => {
  it("follow its state as it is loaded, written, deleted and forgotten", () => {
    const cache = new CacheBytes();
    const address: Address = { namespace: "test", type: "fn", id: "some-id" };
    const mb = new Mailbox(address, 0, "test/fn", cache);
    expect(cache.total).toBe(addressBytes(address));
    mb.loaded([entry("a", 100), entry("b", 10)]);
    expect(cache.total).toBe(addressBytes(address) + entryBytes("a", entry("a", 100)) + entryBytes("b", entry("b", 10)));
    mb.put("a", entry("a", 1000));
    mb.put("b", undefined);
    mb.put("c", entry("c", 5));
    expect(cache.total).toBe(addressBytes(address) + entryBytes("a", entry("a", 1000)) + entryBytes("c", entry("c", 5)));
    expect(mb.cachedBytes).toBe(cache.total);
    mb.loaded([]);
    expect(cache.total).toBe(addressBytes(address));
    mb.evicted();
    expect(cache.total).toBe(0);
  });
});

const blob = valueSpec("blob", Types.string);
const calls = valueSpec("calls", Types.int);
const holder = statefulFunction({
  typename: "test/holder",
  state: { blob, calls },
  accepts: [Types.string],
  handler(ctx, message) {
    const next = (ctx.state.calls.get() ?? 0) + 1;
    ctx.state.blob.set(message.as(Types.string));
    ctx.state.calls.set(next);
    ctx.reply(Types.int, next);
  },
});

/** A memory store that counts state loads by address id. */
class LoadCountingStore extends MemoryStore {
  readonly loads = new Map<string, number>();
  override async loadState(address: Address): Promise<StateEntry[]> {
    this.loads.set(address.id, (this.loads.get(address.id) ?? 0) + 1);
    return super.loadState(address);
  }
}

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

describe("the address cache", () => {
  it("stays within its budget in bytes, forgetting the least recently used idle addresses, whose state reloads", async () => {
    const store = new LoadCountingStore();
    const kib = "x".repeat(1024);
    // Room for about 20 addresses holding 1 KiB each.
    const budget = 20 * (addressBytes({ namespace: "test", type: "holder", id: "id-00" }) + 1024 + 600);
    runtime = new Runtime({ store, modules: [statefunModule({ functions: [holder] })], limits: { maxCacheBytes: budget } });
    await runtime.start();
    const send = async (id: string) => {
      const receipt = await runtime!.ingest({ target: holder.at(id), argument: typed(Types.string, kib), awaitReply: true });
      return Types.int.deserialize((await receipt.reply!(2000))!.value);
    };
    for (let i = 0; i < 100; i++) {
      await send(`id-${i}`);
      // One address used between every other: never the least recently used, never reloaded.
      await send("hot");
      expect(runtime.gauges().cachedBytes).toBeLessThanOrEqual(budget);
    }
    expect(runtime.gauges().cachedAddresses).toBeLessThan(30);
    expect(store.loads.get("hot")).toBe(1);
    // A forgotten address reads its state back from the store.
    expect(store.loads.get("id-0")).toBe(1);
    expect(await send("id-0")).toBe(2);
    expect(store.loads.get("id-0")).toBe(2);
  });
});
