import type { Command } from "./module.js";
import type { Random } from "./random.js";

/** How the random trees look. */
export interface TreeShape {
  /** Instances of the function (at least 100 for the e2e suite). */
  readonly ids: number;
  /** Trees sent from outside, per instance. */
  readonly rootsPerId: number;
  /** Levels of messages below a root. */
  readonly maxDepth: number;
  /** Commands per message besides the one `inc` every message has. */
  readonly maxExtraCommands: number;
  /** Largest delay of a `sendAfter`. */
  readonly maxDelayMs: number;
  /** Delay of a `cancelled` message: long enough that it can never fire before its cancellation. */
  readonly cancelDelayMs: number;
}

export const DEFAULT_SHAPE: TreeShape = {
  ids: 120,
  rootsPerId: 8,
  maxDepth: 4,
  maxExtraCommands: 4,
  maxDelayMs: 1500,
  cancelDelayMs: 8000,
};

/** A tree sent from outside: its target id, its commands, and the idempotency key of its request. */
export interface Root {
  readonly key: string;
  readonly id: string;
  readonly cmds: readonly Command[];
}

/** The trees of one run and everything they must do, exactly. */
export interface Plan {
  readonly runId: string;
  readonly ids: readonly string[];
  readonly roots: readonly Root[];
  /** The count each instance must end with. */
  readonly expected: ReadonlyMap<string, number>;
  /** Egress ids that must arrive (at least once). */
  readonly egress: ReadonlySet<string>;
  /** Egress ids inside cancelled messages: they must never arrive. */
  readonly cancelledEgress: ReadonlySet<string>;
  /** Messages that must be delivered (roots included), and cancelled messages. */
  readonly messages: number;
  readonly cancelled: number;
}

/**
 * Random command trees. Every message has at least one `inc`, so once every count is
 * reached every message has run, and every `cancelled` message was scheduled by then.
 */
export function planTrees(random: Random, shape: TreeShape, runId: string): Plan {
  const ids = Array.from({ length: shape.ids }, (_, i) => `${runId}-${i}`);
  const expected = new Map(ids.map((id) => [id, 0]));
  const egress = new Set<string>();
  const cancelledEgress = new Set<string>();
  let egressIds = 0;
  let messages = 0;
  let cancelled = 0;

  const message = (at: string, depth: number, live: boolean): Command[] => {
    if (live) {
      messages++;
      expected.set(at, (expected.get(at) ?? 0) + 1);
    }
    const cmds: Command[] = [{ op: "inc" }];
    const extra = random.int(0, shape.maxExtraCommands);
    for (let i = 0; i < extra; i++) {
      const op = depth >= shape.maxDepth ? random.weighted({ inc: 3, egress: 2 }) : random.weighted(OPS);
      if (op === "inc") {
        cmds.push({ op });
        if (live) expected.set(at, (expected.get(at) ?? 0) + 1);
      } else if (op === "egress") {
        const id = `${runId}-e${egressIds++}`;
        cmds.push({ op, id });
        (live ? egress : cancelledEgress).add(id);
      } else {
        const to = random.pick(ids);
        if (op === "cancelled" && live) cancelled++;
        // A cancelled message's subtree never runs: nothing in it is expected.
        const sub = message(to, depth + 1, live && op !== "cancelled");
        if (op === "send") cmds.push({ op, to, cmds: sub });
        else if (op === "sendAfter") cmds.push({ op, to, ms: random.int(0, shape.maxDelayMs), cmds: sub });
        else cmds.push({ op, to, ms: shape.cancelDelayMs, cmds: sub });
      }
    }
    return random.shuffle(cmds);
  };

  const roots: Root[] = [];
  for (const id of ids) {
    for (let r = 0; r < shape.rootsPerId; r++) roots.push({ key: "", id, cmds: message(id, 1, true) });
  }
  random.shuffle(roots);
  const keyed = roots.map((root, i) => ({ ...root, key: `${runId}-root-${i}` }));
  return { runId, ids, roots: keyed, expected, egress, cancelledEgress, messages, cancelled };
}

const OPS = { inc: 3, egress: 2, send: 3, sendAfter: 2, cancelled: 1 } as const;
