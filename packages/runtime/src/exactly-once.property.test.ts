import { Types } from "@statefun-ts/sdk";
import { Commands, commandTrees, expectedCounts as expected, until, counter as verifier, verifierModule } from "@statefun-ts/test-kit";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Runtime } from "./runtime.js";
import { MemoryStore } from "./store/memory-store.js";

/** Command trees as in StateFun's smoke test (test/kit/commands.ts): increments here, and messages (now, later, or cancelled) carrying subtrees. */
const ids = ["a", "b", "c", "d", "e", "f"];
const cmdTree = (depth: number) => commandTrees({ ids, depth, maxDelayMs: 40, cancelDelayMs: 400 });

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
          const module = verifierModule;
          const start = async () => {
            const rt = new Runtime({ store, modules: [module] });
            await rt.start();
            return rt;
          };
          let rt = await start();
          const want = new Map<string, number>();
          for (const [i, root] of roots.entries()) {
            expected(root.cmds, root.id, want);
            await rt.ingest({
              target: verifier.at(root.id),
              argument: { typename: Commands.typename, value: Commands.serialize({ cmds: root.cmds }) },
              // Awaited requests run before their commit (see engine/early-ingress.ts): crashes must not tell.
              awaitReply: i % 2 === 0,
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
          await until(
            async () => {
              const stats = await store.stats();
              return stats.messages === 0 && stats.timers === 0;
            },
            "quiescence",
            { timeoutMs: 5000, intervalMs: 10, explain: async () => JSON.stringify(await store.stats()) },
          );
          for (const id of ids) expect(await countOf(rt, id), `count of ${id}`).toBe(want.get(id) ?? 0);
          expect(await rt.deadLetters(10)).toEqual([]);
          await rt.stop();
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);
});
