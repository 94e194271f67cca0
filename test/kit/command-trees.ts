import fc from "fast-check";
import type { Command } from "./commands.js";

/** The shape of the trees `commandTrees` draws. */
export interface TreeArbitraryOptions {
  /** Ids the messages go to. */
  readonly ids: readonly string[];
  /** Levels of messages, the root included. */
  readonly depth: number;
  /** Largest delay of a `sendAfter` (ms). */
  readonly maxDelayMs: number;
  /** Draw `cancelled` commands too, with this delay (ms; long enough never to fire before its cancellation). */
  readonly cancelDelayMs?: number;
  /** Commands per message at most (default 4). */
  readonly maxCommands?: number;
}

/** fast-check trees of `inc`, `send`, `sendAfter` and (with `cancelDelayMs`) `cancelled` commands, for property tests. */
export function commandTrees(options: TreeArbitraryOptions): fc.Arbitrary<Command[]> {
  const { ids, maxDelayMs, cancelDelayMs, maxCommands = 4 } = options;
  const to = fc.constantFrom(...ids);
  const inc = fc.constant<Command>({ op: "inc" });
  const tree: fc.Memo<Command[]> = fc.memo((depth) => {
    if (depth <= 1) return fc.array(inc, { maxLength: maxCommands });
    const sub = tree(depth - 1);
    const ops: fc.Arbitrary<Command>[] = [
      inc,
      fc.record({ op: fc.constant("send" as const), to, cmds: sub }),
      fc.record({ op: fc.constant("sendAfter" as const), to, cmds: sub, ms: fc.integer({ min: 0, max: maxDelayMs }) }),
    ];
    if (cancelDelayMs !== undefined)
      ops.push(fc.record({ op: fc.constant("cancelled" as const), to, cmds: sub, ms: fc.constant(cancelDelayMs) }));
    return fc.array(fc.oneof(...ops), { maxLength: maxCommands });
  });
  return tree(options.depth);
}
