import { Types } from "@statefun-ts/sdk";
import { Commands, commandTrees, expectedCounts as expected, until, counter as verifier, verifierModule } from "@statefun-ts/test-kit";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Cluster, type Worker } from "./harness.js";

/** The command trees of exactly-once.property.test.ts (test/kit/commands.ts), run by three workers that are killed, frozen and replaced at random. */
const ids = ["a", "b", "c", "d", "e", "f", "g", "h"];
const cmdTree = (depth: number) => commandTrees({ ids, depth, maxDelayMs: 40 });

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
          const cluster = new Cluster(8, [verifierModule]);
          let born = 0;
          const spawn = () => cluster.start(`w${born++}`);
          try {
            const slots: Worker[] = [await spawn(), await spawn(), await spawn()];
            const want = new Map<string, number>();
            for (let i = 0; i < roots.length; i++) {
              const root = roots[i]!;
              expected(root.cmds, root.id, want);
              const argument = { typename: Commands.typename, value: Commands.serialize({ cmds: root.cmds }) };
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
