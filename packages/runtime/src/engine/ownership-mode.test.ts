import { StringCodec } from "@statefun-ts/protocol";
import { egressRef, statefulFunction, statefunModule, Types, valueSpec } from "@statefun-ts/sdk";
import { until } from "@statefun-ts/test-kit";
import { afterEach, describe, expect, it } from "vitest";
import { Runtime, type RuntimeOptions } from "../runtime.js";
import { MemoryStore } from "../store/memory-store.js";

const seen = valueSpec("seen", Types.string);
const done = egressRef("done", Types.string);
const echo = statefulFunction({
  typename: "test/echo",
  state: { seen },
  accepts: [Types.string],
  handler(ctx, message) {
    const text = message.as(Types.string);
    ctx.state.seen.set(text);
    ctx.egress(done, `${ctx.self.id}=${text}`);
  },
});
const module = statefunModule({ functions: [echo], egresses: [done] });

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

async function start(options: Omit<RuntimeOptions, "modules">): Promise<Runtime> {
  runtime = new Runtime({ ...options, modules: [module] });
  await runtime.start();
  return runtime;
}

/** Sends one message through the runtime and reads its effects back: the state and the egress record. */
async function roundTrip(r: Runtime, id: string): Promise<{ state: string | undefined; egress: string | undefined }> {
  await r.ingest({ target: echo.at(id), argument: { typename: Types.string.typename, value: StringCodec.encode("hi") } });
  for (let i = 0; i < 500; i++) {
    const delivery = await r.takeEgress("done");
    if (delivery !== undefined) {
      await delivery.ack();
      const [view] = await r.readState(echo.at(id));
      return { state: view && StringCodec.decode(view.value), egress: StringCodec.decode(delivery.record.argument.value) };
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { state: undefined, egress: undefined };
}

describe("ownership mode", () => {
  it("is a single owner holding every key group from the start on a store that is not shared", async () => {
    const r = await start({ store: new MemoryStore(8) });
    expect(r.clustered).toBe(false);
    expect(r.ownedKeyGroups()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(await roundTrip(r, "a")).toEqual({ state: "hi", egress: "a=hi" });
    const view = r.clusterView();
    expect(view.members).toEqual([r.workerName]);
    expect([...view.leases.keys()]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect([...view.leases.values()].every((lease) => lease.owner === r.workerName)).toBe(true);
    expect(view.heartbeatAt).toBeUndefined();
  });

  it("is a cluster member that claims its share at its first heartbeat on a shared store, alone: all of it", async () => {
    const r = await start({ store: new MemoryStore(8, { shared: true }), cluster: { heartbeatMs: 50, leaseMs: 500 } });
    expect(r.clustered).toBe(true);
    expect(r.ownedKeyGroups()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(await roundTrip(r, "b")).toEqual({ state: "hi", egress: "b=hi" });
    // A heartbeat answers with the view before its own claims: the next one shows them.
    const mine = () => [...r.clusterView().leases.values()].filter((lease) => lease.owner === r.workerName).length;
    await until(() => mine() === 8, "the cluster view showing this worker's 8 leases");
    const view = r.clusterView();
    expect(view.members).toEqual([r.workerName]);
    expect(view).toMatchObject({ heartbeatMs: 50, leaseMs: 500 });
    expect(view.heartbeatAt).toBeTypeOf("number");
  });

  it("claims and acknowledges egress records through the store in both modes, with receipts that name the worker", async () => {
    for (const options of [
      { store: new MemoryStore(4) },
      { store: new MemoryStore(4, { shared: true }), cluster: { heartbeatMs: 50, leaseMs: 500 } },
    ]) {
      const r = await start({ ...options, owner: "w-egress" });
      await r.ingest({ target: echo.at("c"), argument: { typename: Types.string.typename, value: StringCodec.encode("hi") } });
      let claimed = await r.claimEgress("done", 60_000);
      for (let i = 0; claimed === undefined && i < 500; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        claimed = await r.claimEgress("done", 60_000);
      }
      expect(claimed?.receipt).toMatch(/^w-egress\./);
      expect(await r.claimEgress("done", 60_000)).toBeUndefined();
      expect(await r.ackEgress("done", claimed?.record.id ?? -1, claimed?.receipt ?? "")).toBe(true);
      expect((await r.storeStats()).egress).toBe(0);
      await r.stop();
    }
  });

  it("is the single owner on a shared store when cluster mode is turned off", async () => {
    const r = await start({ store: new MemoryStore(4, { shared: true }), cluster: false });
    expect(r.clustered).toBe(false);
    expect(r.ownedKeyGroups()).toEqual([0, 1, 2, 3]);
  });

  it("refuses cluster settings whose lease is not longer than the heartbeat, naming both", async () => {
    runtime = new Runtime({ store: new MemoryStore(4), modules: [module], cluster: { heartbeatMs: 100, leaseMs: 100 } });
    await expect(runtime.start()).rejects.toThrow("cluster.leaseMs (100) must be longer than cluster.heartbeatMs (100)");
  });
});
