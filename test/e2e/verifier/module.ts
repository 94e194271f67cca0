/**
 * The function under test of the crash verifier, in the style of Apache Flink StateFun's
 * smoke test: `verifier/counter` runs trees of commands and counts its `inc`s. The driver
 * knows every tree it sent, so it knows the exact count each instance must end with: one
 * more means an effect applied twice, one less an effect lost.
 *
 * The JSON message (`verifier/Commands`) is the protocol: a function in another language
 * implements the same five commands to be verified by the same driver.
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

export default statefunModule({ functions: [counter], egresses: [verified] });
