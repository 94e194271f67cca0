import { jsonType, statefulFunction, statefunModule, Types, valueSpec } from "@statefun-ts/sdk";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Runtime } from "./runtime.js";
import { MemoryStore } from "./store/memory-store.js";

/** A command tree, as in StateFun's smoke test: increments here, and messages (now, later, or cancelled) carrying subtrees. */
type Cmd = { inc: 1 } | { send: Target } | { after: Target & { ms: number } } | { cancelled: Target };
type Target = { to: string; cmds: Cmd[] };

const Cmds = jsonType<{ cmds: Cmd[] } | { cancel: string }>("verify/Cmds");
const count = valueSpec("count", Types.int);
const seq = valueSpec("seq", Types.int);

const verifier = statefulFunction({
  typename: "verify/counter",
  state: { count, seq },
  accepts: [Cmds],
  handler(ctx, message) {
    const body = message.as(Cmds);
    if ("cancel" in body) return ctx.cancelDelayed(body.cancel);
    for (const cmd of body.cmds) {
      if ("inc" in cmd) ctx.state.count.set((ctx.state.count.get() ?? 0) + 1);
      else if ("send" in cmd) ctx.send(verifier.at(cmd.send.to), Cmds, { cmds: cmd.send.cmds });
      else if ("after" in cmd) ctx.sendAfter(cmd.after.ms, verifier.at(cmd.after.to), Cmds, { cmds: cmd.after.cmds });
      else {
        // Cancelled by the next invocation of this same address, long before it is due.
        const n = (ctx.state.seq.get() ?? 0) + 1;
        ctx.state.seq.set(n);
        const token = `${ctx.self.id}:${n}`;
        ctx.sendAfter(400, verifier.at(cmd.cancelled.to), Cmds, { cmds: cmd.cancelled.cmds }, { cancellationToken: token });
        ctx.send(verifier.at(ctx.self.id), Cmds, { cancel: token });
      }
    }
  },
});

const ids = ["a", "b", "c", "d", "e", "f"];
const cmdTree: fc.Memo<Cmd[]> = fc.memo((depth) =>
  fc.array(
    depth <= 1
      ? fc.constant<Cmd>({ inc: 1 })
      : fc.oneof(
          fc.constant<Cmd>({ inc: 1 }),
          fc.record({ send: fc.record({ to: fc.constantFrom(...ids), cmds: cmdTree(depth - 1) }) }),
          fc.record({ after: fc.record({ to: fc.constantFrom(...ids), cmds: cmdTree(depth - 1), ms: fc.integer({ min: 0, max: 40 }) }) }),
          fc.record({ cancelled: fc.record({ to: fc.constantFrom(...ids), cmds: cmdTree(depth - 1) }) }),
        ),
    { maxLength: 4 },
  ),
);

function expected(cmds: Cmd[], at: string, into: Map<string, number>): void {
  for (const cmd of cmds) {
    if ("inc" in cmd) into.set(at, (into.get(at) ?? 0) + 1);
    else if ("send" in cmd) expected(cmd.send.cmds, cmd.send.to, into);
    else if ("after" in cmd) expected(cmd.after.cmds, cmd.after.to, into);
  }
}

async function countOf(rt: Runtime, id: string): Promise<number> {
  const v = (await rt.readState(verifier.at(id))).find((s) => s.name === "count");
  return v ? Types.int.deserialize(v.value) : 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("exactly-once effects (property)", () => {
  it("every count is exact after random command trees and random crashes", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ id: fc.constantFrom(...ids), cmds: cmdTree(4) }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 3 }),
        async (roots, crashes) => {
          const store = new MemoryStore(8);
          const module = statefunModule({ functions: [verifier] });
          const start = async () => {
            const rt = new Runtime({ store, modules: [module] });
            await rt.start();
            return rt;
          };
          let rt = await start();
          const want = new Map<string, number>();
          for (const root of roots) {
            expected(root.cmds, root.id, want);
            await rt.ingest({
              target: verifier.at(root.id),
              argument: { typename: Cmds.typename, value: Cmds.serialize({ cmds: root.cmds }) },
            });
          }
          for (const after of crashes) {
            await sleep(after);
            // A new worker takes the key groups over: the old one is fenced off mid-flight, like a kill -9.
            const dead = rt;
            rt = await start();
            await dead.stop();
          }
          await sleep(450);
          const deadline = Date.now() + 5000;
          for (;;) {
            const stats = await store.stats();
            if (stats.messages === 0 && stats.timers === 0) break;
            if (Date.now() > deadline) throw new Error(`not quiescent: ${JSON.stringify(stats)}`);
            await sleep(10);
          }
          for (const id of ids) expect(await countOf(rt, id), `count of ${id}`).toBe(want.get(id) ?? 0);
          expect(await rt.deadLetters(10)).toEqual([]);
          await rt.stop();
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);
});
