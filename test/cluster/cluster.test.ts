import { type Address, keyGroupOf, StatefunError, StringCodec, type TypedValue } from "@statefun-ts/protocol";
import { Runtime } from "@statefun-ts/runtime";
import { MemoryStore } from "@statefun-ts/runtime/testing";
import { egressRef, jsonType, statefulFunction, statefunModule, Types, valueSpec } from "@statefun-ts/sdk";
import { str, typed, until } from "@statefun-ts/test-kit";
import { afterEach, describe, expect, it } from "vitest";
import { Cluster, type Worker } from "./harness.js";

const K = 8;
const Add = jsonType<{ by: number; forward?: string[]; afterMs?: number }>("test/Add");
const count = valueSpec("count", Types.int);
const done = egressRef("done", Types.string);

/** Adds, forwards the same increment to each of `forward` (now, or after `afterMs`), replies to an HTTP caller, and writes to an egress. */
const counter = statefulFunction({
  typename: "test/counter",
  state: { count },
  accepts: [Add],
  handler(ctx, message) {
    const add = message.as(Add);
    const next = (ctx.state.count.get() ?? 0) + add.by;
    ctx.state.count.set(next);
    for (const to of add.forward ?? []) {
      if (add.afterMs === undefined) ctx.send(counter.at(to), Add, { by: add.by });
      else ctx.sendAfter(add.afterMs, counter.at(to), Add, { by: add.by });
    }
    if (ctx.caller?.namespace === "statefun.ingress") ctx.reply(Types.int, next);
    ctx.egress(done, `${ctx.self.id}=${next}`);
  },
});

/** Blocks its invocations until the test lets them go: work a worker holds while frozen. */
let gate: { started: number; open: Promise<void>; release(): void } = newGate();
function newGate() {
  let release!: () => void;
  const open = new Promise<void>((r) => {
    release = r;
  });
  return { started: 0, open, release };
}
const slow = statefulFunction({
  typename: "test/slow",
  state: { count },
  accepts: [Types.string],
  async handler(ctx) {
    gate.started++;
    await gate.open;
    ctx.state.count.set((ctx.state.count.get() ?? 0) + 1);
    ctx.send(counter.at(`after-${ctx.self.id}`), Add, { by: 1 });
  },
});

const module = statefunModule({ functions: [counter, slow], egresses: [done] });
const add = (v: Parameters<typeof Add.serialize>[0]): TypedValue => typed(Add, v);

let cluster: Cluster | undefined;
afterEach(async () => {
  gate.release();
  await cluster?.stopAll();
  cluster = undefined;
});

async function countOf(rt: Runtime, id: string, fn: { at(id: string): Address } = counter): Promise<number> {
  const v = (await rt.readState(fn.at(id))).find((s) => s.name === "count");
  return v ? Types.int.deserialize(v.value) : 0;
}

/** An id whose key group `worker` owns now. */
function idOwnedBy(worker: Worker, prefix: string): string {
  const owned = new Set(worker.runtime.ownedKeyGroups());
  for (let i = 0; ; i++) if (owned.has(keyGroupOf(`${prefix}${i}`, K))) return `${prefix}${i}`;
}

async function quiescent(c: Cluster): Promise<void> {
  await until(async () => {
    const s = await c.store.stats();
    return s.messages === 0 && s.timers === 0;
  }, "an empty inbox");
}

async function threeWorkers(): Promise<[Cluster, Worker, Worker, Worker]> {
  const c = new Cluster(K, [module]);
  cluster = c;
  const w = [await c.start("w1"), await c.start("w2"), await c.start("w3")] as const;
  await c.balanced(w);
  return [c, ...w];
}

describe("cluster mode (three runtimes on one shared store)", () => {
  it("splits the key groups evenly on join and leave, each key group to one worker", async () => {
    const c = new Cluster(K, [module]);
    cluster = c;
    const w1 = await c.start("w1");
    expect((await c.balanced([w1]))[0]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const w2 = await c.start("w2");
    expect(await c.balanced([w1, w2])).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    const w3 = await c.start("w3");
    expect(await c.balanced([w1, w2, w3])).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7],
    ]);
    await w2.runtime.stop();
    expect(await c.balanced([w1, w3])).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    expect(c.workers.flatMap((w) => w.fatal)).toEqual([]);
  });

  it("delivers messages and delayed messages between workers, replies at a non-owner, and hands each egress record out once", async () => {
    const [c, w1, w2, w3] = await threeWorkers();
    const ids = Array.from({ length: 24 }, (_, i) => `n${i}`);
    const owners = new Set(ids.map((id) => c.workers.findIndex((w) => w.runtime.ownedKeyGroups().includes(keyGroupOf(id, K)))));
    expect(owners.size).toBe(3);
    // Every id forwards to the next one (now) and to the one after (later): most hops cross workers.
    const entries = [w1, w2, w3];
    for (let i = 0; i < ids.length; i++) {
      const forward = [ids[(i + 1) % ids.length]!];
      await entries[i % 3]!.runtime.ingest({ target: counter.at(ids[i]!), argument: add({ by: 1, forward }) });
      const later = [ids[(i + 2) % ids.length]!];
      await entries[(i + 1) % 3]!.runtime.ingest({ target: counter.at(ids[i]!), argument: add({ by: 10, forward: later, afterMs: 5 }) });
    }
    await quiescent(c);
    for (const id of ids) expect(await countOf(w2.runtime, id), id).toBe(22);

    const target = idOwnedBy(w3, "asked-");
    const receipt = await w1.runtime.ingest({ target: counter.at(target), argument: add({ by: 5 }), awaitReply: true });
    const reply = await receipt.reply!(10_000);
    expect(reply && Types.int.deserialize(reply.value)).toBe(5);

    // 2 * 24 + 24 + 24 + 1 egress records; taken through all three workers at once, each exactly once.
    const taken: string[] = [];
    const takeAll = async (w: Worker) => {
      for (;;) {
        const d = await w.runtime.takeEgress("done");
        if (d === undefined) return;
        taken.push(StringCodec.decode(d.record.argument.value));
        await d.ack();
      }
    };
    await Promise.all([takeAll(w1), takeAll(w2), takeAll(w3), takeAll(w1), takeAll(w2)]);
    expect(taken).toHaveLength(4 * 24 + 1);
    expect(new Set(taken).size).toBe(taken.length);
    expect(c.workers.flatMap((w) => w.fatal)).toEqual([]);
  });

  it("parks messages to a type no worker has loaded and delivers each once, in order, when the workers load it", async () => {
    const [c, w1, w2, w3] = await threeWorkers();
    const seen = valueSpec("seen", Types.string);
    const late = statefulFunction({
      typename: "test/late",
      state: { seen },
      accepts: [Types.int],
      handler(ctx, message) {
        ctx.state.seen.set(`${ctx.state.seen.get() ?? ""}${message.as(Types.int)},`);
      },
    });
    const ids = Array.from({ length: 12 }, (_, i) => `p${i}`);
    const entries = [w1, w2, w3];
    for (let n = 0; n < 5; n++) {
      for (let i = 0; i < ids.length; i++) {
        await entries[i % 3]!.runtime.ingest({
          target: late.at(ids[i]!),
          argument: { typename: Types.int.typename, value: Types.int.serialize(n) },
        });
      }
    }
    await until(
      () => entries.reduce((sum, w) => sum + (w.runtime.parkedByType().get("test/late") ?? 0), 0) === 5 * ids.length,
      "every message parked",
    );
    const lateModule = statefunModule({ functions: [late] });
    for (const w of entries) w.runtime.load(lateModule);
    await quiescent(c);
    for (const id of ids) {
      const state = (await w2.runtime.readState(late.at(id))).find((s) => s.name === "seen");
      expect(state && Types.string.deserialize(state.value), id).toBe("0,1,2,3,4,");
    }
    expect(c.workers.flatMap((w) => w.fatal)).toEqual([]);
  });

  it("takes over the key groups of a killed worker and loses nor repeats anything", async () => {
    const [c, w1, w2, w3] = await threeWorkers();
    const ids = Array.from({ length: 30 }, (_, i) => `k${i}`);
    const sends: Promise<unknown>[] = [];
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < ids.length; i++) {
        const at = [w1, w3][i % 2]!;
        sends.push(at.runtime.ingest({ target: counter.at(ids[i]!), argument: add({ by: 1, forward: [ids[(i + 7) % ids.length]!] }) }));
      }
      if (round === 2) w2.door.kill();
    }
    await Promise.all(sends);
    const owned = await c.balanced([w1, w3]);
    expect(owned.map((o) => o.length)).toEqual([4, 4]);
    await quiescent(c);
    for (const id of ids) expect(await countOf(w1.runtime, id), id).toBe(10);
    expect([...w1.fatal, ...w3.fatal]).toEqual([]);
  });

  it("refuses the late commits of a worker frozen past its lease, applies nothing twice, and lets it join again", async () => {
    const [c, w1, w2, w3] = await threeWorkers();
    gate = newGate();
    const held = idOwnedBy(w1, "held-");
    await w2.runtime.ingest({ target: slow.at(held), argument: str("go") });
    await until(() => gate.started === 1, "the slow invocation to start on w1");
    w1.door.freeze();
    // The others see w1's heartbeat lapse and take its key groups (epochs raised).
    await until(async () => (await c.leasesOf(w1)).length === 0, "w1's key groups to be taken over");
    // Let the frozen invocation finish: its commit waits behind the door, and the new owner runs the message again.
    gate.release();
    await until(async () => (await countOf(w2.runtime, held, slow)) === 1, "the new owner to run the held message");
    // An ingress request queued behind the refused commit is refused too, with a retryable error.
    const late = w1.runtime.ingest({ target: counter.at("late"), argument: add({ by: 1 }) }).catch((e: unknown) => e);
    w1.door.thaw();
    const refused = await late;
    expect(StatefunError.is(refused) && { code: refused.code, terminal: refused.terminal }).toEqual({
      code: "STATEFUN_CLOSED",
      terminal: false,
    });
    await quiescent(c);
    expect(await countOf(w3.runtime, held, slow)).toBe(1);
    expect(await countOf(w3.runtime, `after-${held}`)).toBe(1);
    expect(await countOf(w3.runtime, "late")).toBe(0);
    expect(gate.started).toBe(2);
    // w1 dropped its memory and joined again: the three share the key groups, and it works.
    await c.balanced([w1, w2, w3]);
    const again = idOwnedBy(w1, "again-");
    await w3.runtime.ingest({ target: counter.at(again), argument: add({ by: 3, forward: [held] }) });
    await until(async () => (await countOf(w2.runtime, again)) === 3, "w1 to run messages again");
    await until(async () => (await countOf(w2.runtime, held)) === 3, "the forward from w1");
    expect(c.workers.flatMap((w) => w.fatal)).toEqual([]);
  });

  it("keeps a single owner on a store that is not shared: every key group, no membership", async () => {
    const store = new MemoryStore(K);
    const single = new Runtime({ store, modules: [module], owner: "solo" });
    await single.start();
    try {
      expect(single.ownedKeyGroups()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      await single.ingest({ target: counter.at("x"), argument: add({ by: 2 }) });
      await until(async () => (await countOf(single, "x")) === 2, "the single owner to run");
      expect((await store.heartbeat("(observer)", 0)).members).toEqual([]);
    } finally {
      await single.stop();
    }
  });

  it("names a bad cluster setting", async () => {
    const rt = new Runtime({ store: new MemoryStore(K), cluster: { heartbeatMs: 500, leaseMs: 400 } });
    await expect(rt.start()).rejects.toThrow(/cluster.leaseMs \(400\) must be longer than cluster.heartbeatMs \(500\)/);
    const zero = new Runtime({ store: new MemoryStore(K), cluster: { heartbeatMs: 0 } });
    await expect(zero.start()).rejects.toMatchObject({
      code: "STATEFUN_BAD_CONFIG",
      message: expect.stringMatching(/cluster.heartbeatMs/),
    });
  });
});
