import { jsonType, statefulFunction, statefunModule, Types, valueSpec } from "@statefun-ts/sdk";
import { until } from "@statefun-ts/test-kit";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Cluster, type Worker } from "./harness.js";

/** The verifier of exactly-once.property.test.ts, run by three workers that are killed, frozen and replaced at random. */
type Cmd = { inc: 1 } | { send: Target } | { after: Target & { ms: number } };
type Target = { to: string; cmds: Cmd[] };

const Cmds = jsonType<{ cmds: Cmd[] }>("verify/Cmds");
const count = valueSpec("count", Types.int);

const verifier = statefulFunction({
  typename: "verify/counter",
  state: { count },
  accepts: [Cmds],
  handler(ctx, message) {
    for (const cmd of message.as(Cmds).cmds) {
      if ("inc" in cmd) ctx.state.count.set((ctx.state.count.get() ?? 0) + 1);
      else if ("send" in cmd) ctx.send(verifier.at(cmd.send.to), Cmds, { cmds: cmd.send.cmds });
      else ctx.sendAfter(cmd.after.ms, verifier.at(cmd.after.to), Cmds, { cmds: cmd.after.cmds });
    }
  },
});

const ids = ["a", "b", "c", "d", "e", "f", "g", "h"];
const cmdTree: fc.Memo<Cmd[]> = fc.memo((depth) =>
  fc.array(
    depth <= 1
      ? fc.constant<Cmd>({ inc: 1 })
      : fc.oneof(
          fc.constant<Cmd>({ inc: 1 }),
          fc.record({ send: fc.record({ to: fc.constantFrom(...ids), cmds: cmdTree(depth - 1) }) }),
          fc.record({ after: fc.record({ to: fc.constantFrom(...ids), cmds: cmdTree(depth - 1), ms: fc.integer({ min: 0, max: 40 }) }) }),
        ),
    { maxLength: 4 },
  ),
);

function expected(cmds: Cmd[], at: string, into: Map<string, number>): void {
  for (const cmd of cmds) {
    if ("inc" in cmd) into.set(at, (into.get(at) ?? 0) + 1);
    else if ("send" in cmd) expected(cmd.send.cmds, cmd.send.to, into);
    else expected(cmd.after.cmds, cmd.after.to, into);
  }
}

type Fault = { kind: "kill" | "freeze" | "stop"; worker: number; afterRoots: number };

describe("cluster chaos (property)", () => {
  it("every count is exact after random command trees while workers are killed, frozen and replaced", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ id: fc.constantFrom(...ids), cmds: cmdTree(4) }), { minLength: 1, maxLength: 10 }),
        fc.array(
          fc.record({
            kind: fc.constantFrom<Fault["kind"]>("kill", "freeze", "stop"),
            worker: fc.nat(2),
            afterRoots: fc.nat(10),
          }),
          { maxLength: 3 },
        ),
        async (roots, faults) => {
          const cluster = new Cluster(8, [statefunModule({ functions: [verifier] })]);
          let born = 0;
          const spawn = () => cluster.start(`w${born++}`);
          try {
            const slots: Worker[] = [await spawn(), await spawn(), await spawn()];
            const want = new Map<string, number>();
            for (let i = 0; i < roots.length; i++) {
              const root = roots[i]!;
              expected(root.cmds, root.id, want);
              const argument = { typename: Cmds.typename, value: Cmds.serialize({ cmds: root.cmds }) };
              // Sent through any live worker; an ingress refused (a worker dying) is retried elsewhere with its key.
              for (let attempt = 0; ; attempt++) {
                const at = slots[(i + attempt) % 3]!;
                const ok = await at.runtime
                  .ingest({ target: verifier.at(root.id), argument, idempotencyKey: `root-${i}` })
                  .then(() => true)
                  .catch(() => false);
                if (ok) break;
                if (attempt > 50) throw new Error("no worker took the ingress");
              }
              for (const fault of faults.filter((f) => f.afterRoots === i)) {
                const victim = slots[fault.worker]!;
                if (fault.kind === "stop") await victim.runtime.stop();
                else if (fault.kind === "kill") victim.door.kill();
                else {
                  victim.door.freeze();
                  // Frozen past its lease: the others take its key groups over, then it resumes (and is
                  // fenced if it held any; one that held none just carries on as a member).
                  await until(async () => (await cluster.leasesOf(victim)).length === 0, "a takeover");
                  victim.door.thaw();
                }
                slots[fault.worker] = await spawn();
              }
            }
            await until(async () => {
              const stats = await cluster.store.stats();
              return stats.messages === 0 && stats.timers === 0;
            }, "an empty inbox");
            const reader = slots[0]!.runtime;
            for (const id of ids) {
              const v = (await reader.readState(verifier.at(id))).find((s) => s.name === "count");
              expect(v ? Types.int.deserialize(v.value) : 0, `count of ${id}`).toBe(want.get(id) ?? 0);
            }
            expect(await reader.deadLetters(10)).toEqual([]);
          } finally {
            await cluster.stopAll();
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 300_000);
});
