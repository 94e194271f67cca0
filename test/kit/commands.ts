/**
 * The command trees of the exactly-once verifiers, in the style of Apache Flink StateFun's smoke
 * test: `verifier/counter` runs trees of commands and counts its `inc`s. Whoever sends the trees
 * knows the exact count each instance must end with: one more means an effect applied twice, one
 * less an effect lost.
 *
 * One model for every verifier: the crash verifier (test/e2e/verifier, random trees over HTTP to
 * a killed worker process), the property tests (packages/runtime exactly-once, test/cluster chaos:
 * fast-check trees, `commandTrees` in command-trees.ts), and the command interpreters of the official SDKs
 * (test/interop/python/functions.py, test/interop/go/verifier.go), which implement the same JSON
 * message (`verifier/Commands`) so that the same driver verifies them.
 */
import { egressRef, jsonType, statefulFunction, statefunModule, Types, valueSpec } from "@statefun-ts/sdk";

/** Runs `cmds` at `to` (an id of `verifier/counter`). */
export interface Target {
  readonly to: string;
  readonly cmds: readonly Command[];
}

export type Command =
  /** count += 1 */
  | { readonly op: "inc" }
  /** A message now. */
  | ({ readonly op: "send" } & Target)
  /** A message after `ms`. */
  | ({ readonly op: "sendAfter"; readonly ms: number } & Target)
  /** A message after `ms` (long: it must never fire), cancelled by this instance's next invocation. */
  | ({ readonly op: "cancelled"; readonly ms: number } & Target)
  /** A record on the egress topic `verified` whose text is `id`. */
  | { readonly op: "egress"; readonly id: string };

/** A tree to run, or the cancellation of an earlier `cancelled` command of this instance. */
export type Commands = { readonly cmds: readonly Command[] } | { readonly cancel: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export const Commands = jsonType<Commands>("verifier/Commands", {
  schema: (v): v is Commands => isObject(v) && (Array.isArray(v.cmds) || typeof v.cancel === "string"),
});

/** Each record is the text of an `egress` command's id. */
export const verified = egressRef("verified", Types.string);

const count = valueSpec("count", Types.int);
/** How many `cancelled` commands this instance ran: makes each cancellation token unique. */
const cancellations = valueSpec("cancellations", Types.int);

export const counter = statefulFunction({
  typename: "verifier/counter",
  state: { count, cancellations },
  accepts: [Commands],
  handler(ctx, message) {
    const body = message.as(Commands);
    if ("cancel" in body) {
      ctx.cancelDelayed(body.cancel);
      return;
    }
    for (const cmd of body.cmds) {
      switch (cmd.op) {
        case "inc":
          ctx.state.count.set((ctx.state.count.get() ?? 0) + 1);
          break;
        case "send":
          ctx.send(counter.at(cmd.to), Commands, { cmds: cmd.cmds });
          break;
        case "sendAfter":
          ctx.sendAfter(cmd.ms, counter.at(cmd.to), Commands, { cmds: cmd.cmds });
          break;
        case "cancelled": {
          const n = (ctx.state.cancellations.get() ?? 0) + 1;
          ctx.state.cancellations.set(n);
          const token = `verifier/${ctx.self.id}/${n}`;
          ctx.sendAfter(cmd.ms, counter.at(cmd.to), Commands, { cmds: cmd.cmds }, { cancellationToken: token });
          // FIFO per pair: this reaches this instance right after the current invocation.
          ctx.send(counter.at(ctx.self.id), Commands, { cancel: token });
          break;
        }
        case "egress":
          ctx.egress(verified, cmd.id);
          break;
        default:
          throw new Error(`unknown command ${JSON.stringify(cmd)}`);
      }
    }
  },
});

/** The counter and its egress, as a module (what the e2e worker process loads). */
export const verifierModule = statefunModule({ functions: [counter], egresses: [verified] });

/** Adds the count each instance must end with after `cmds` ran at `at` (cancelled subtrees never run). */
export function expectedCounts(cmds: readonly Command[], at: string, into: Map<string, number>): Map<string, number> {
  for (const cmd of cmds) {
    if (cmd.op === "inc") into.set(at, (into.get(at) ?? 0) + 1);
    else if (cmd.op === "send" || cmd.op === "sendAfter") expectedCounts(cmd.cmds, cmd.to, into);
  }
  return into;
}
