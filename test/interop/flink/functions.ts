/**
 * Functions written with the Statefun TS SDK for the Apache Flink StateFun interop test
 * (`test/interop/flink-statefun.test.ts`). Flink StateFun 3.3.0 (Java, `InteropMain`) sends
 * them the scripted `interop/Command`s and records what they emit on the egress `interop/out`.
 *
 * - `interop/counter`: counts the pings of each id in state, so the N-th ping sees N-1
 *   (Flink starts with no registered state: the first call is the registration handshake);
 *   asks `interop/echo` for each ping and reports the reply; schedules a delayed message
 *   that must arrive and one that it cancels, and must never arrive; declares states with
 *   both expiry modes, one short enough to have expired when the delayed message arrives.
 * - `interop/echo`: replies to its caller.
 *
 * Run it: `node --import tsx test/interop/flink/functions.ts [--port 8000] [--host 127.0.0.1]`
 * (prints `listening on URL`; the built SDK must exist: `npm run build`).
 */
import { pathToFileURL } from "node:url";
import { type Address, egressRef, jsonType, statefulFunction, statefunModule, Types, valueSpec } from "@statefun-ts/sdk";
import { serve } from "@statefun-ts/sdk/node";

/** What the script (and the counter itself, for delayed messages) sends to `interop/counter`. */
export type Command =
  | { readonly op: "ping"; readonly seq: number }
  | { readonly op: "schedule"; readonly delayMs: number; readonly cancelledDelayMs: number; readonly token: string }
  | { readonly op: "cancel"; readonly token: string }
  | { readonly op: "delayed"; readonly tag: "kept" | "cancelled"; readonly scheduledAt: number }
  | { readonly op: "finish" };

/** What the counter reports on the egress, one record per thing the test checks. */
export type Event =
  | { readonly kind: "ping"; readonly id: string; readonly seq: number; readonly previous: number }
  | { readonly kind: "reply"; readonly id: string; readonly seq: number; readonly from: string; readonly caller: string }
  | { readonly kind: "scheduled"; readonly id: string; readonly at: number; readonly markerExpiresAfterMs: number }
  | { readonly kind: "cancel"; readonly id: string; readonly at: number; readonly markerPresent: boolean }
  | {
      readonly kind: "delayed";
      readonly id: string;
      readonly tag: string;
      readonly scheduledAt: number;
      readonly at: number;
      readonly count: number;
      readonly markerPresent: boolean;
    };

/** The last record of a run: the Java side stops when it sees one. */
export interface Done {
  readonly id: string;
  readonly count: number;
  readonly calls: number;
}

const formatAddress = (a: Address): string => `${a.namespace}/${a.type}/${a.id}`;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export const Command = jsonType<Command>("interop/Command", {
  schema: (v): v is Command => isObject(v) && ["ping", "schedule", "cancel", "delayed", "finish"].includes(v.op as string),
});
export const EchoRequest = jsonType<{ seq: number }>("interop/EchoRequest");
export const EchoReply = jsonType<{ seq: number; from: string }>("interop/EchoReply");
export const Event = jsonType<Event>("interop/Event");
export const Done = jsonType<Done>("interop/Done");

/** The egress `interop/out` (bound in Java by the harness); the topic does not travel over the protocol. */
export const EGRESS = "interop/out";
export const events = egressRef("events", Event, EGRESS);
export const done = egressRef("done", Done, EGRESS);

/** How long the marker state lives after a write: expired by the time the delayed message arrives. */
export const MARKER_TTL_MS = 1000;

/** Pings seen, no expiry. */
const count = valueSpec("count", Types.int);
/** Invocations of this instance; expires an hour after the last call (`AFTER_INVOKE` in Flink). */
const calls = valueSpec("calls", Types.long, { expireAfterCall: "1h" });
/** Written when scheduling; expires `MARKER_TTL_MS` after that write (`AFTER_WRITE` in Flink). */
const marker = valueSpec("marker", Types.string, { expireAfterWrite: MARKER_TTL_MS });

export const echo = statefulFunction({
  typename: "interop/echo",
  accepts: [EchoRequest],
  handler(ctx, message) {
    ctx.reply(EchoReply, { seq: message.as(EchoRequest).seq, from: formatAddress(ctx.self) });
  },
});

export const counter = statefulFunction({
  typename: "interop/counter",
  state: { count, calls, marker },
  accepts: [Command, EchoReply],
  handler(ctx, message) {
    const id = ctx.self.id;
    ctx.state.calls.set((ctx.state.calls.get() ?? 0n) + 1n);
    if (message.is(EchoReply)) {
      const reply = message.as(EchoReply);
      const caller = ctx.caller ? formatAddress(ctx.caller) : "(none)";
      ctx.egress(events, { kind: "reply", id, seq: reply.seq, from: reply.from, caller });
      return;
    }
    const command = message.as(Command);
    const now = Date.now();
    switch (command.op) {
      case "ping": {
        const previous = ctx.state.count.get() ?? 0;
        ctx.state.count.set(previous + 1);
        ctx.egress(events, { kind: "ping", id, seq: command.seq, previous });
        ctx.send(echo.at(id), EchoRequest, { seq: command.seq });
        return;
      }
      case "schedule": {
        ctx.state.marker.set(`written at ${now}`);
        ctx.sendAfter(command.delayMs, ctx.self, Command, { op: "delayed", tag: "kept", scheduledAt: now });
        ctx.sendAfter(
          command.cancelledDelayMs,
          ctx.self,
          Command,
          { op: "delayed", tag: "cancelled", scheduledAt: now },
          { cancellationToken: command.token },
        );
        // Fires after the cancelled message would have: when it arrives, a lost cancellation has shown.
        ctx.sendAfter(command.cancelledDelayMs + 2000, ctx.self, Command, { op: "finish" });
        ctx.egress(events, { kind: "scheduled", id, at: now, markerExpiresAfterMs: MARKER_TTL_MS });
        return;
      }
      case "cancel":
        ctx.cancelDelayed(command.token);
        ctx.egress(events, { kind: "cancel", id, at: now, markerPresent: ctx.state.marker.get() !== undefined });
        return;
      case "delayed":
        ctx.egress(events, {
          kind: "delayed",
          id,
          tag: command.tag,
          scheduledAt: command.scheduledAt,
          at: now,
          count: ctx.state.count.get() ?? 0,
          markerPresent: ctx.state.marker.get() !== undefined,
        });
        return;
      case "finish":
        ctx.egress(done, { id, count: ctx.state.count.get() ?? 0, calls: Number(ctx.state.calls.get() ?? 0n) });
        return;
    }
  },
});

export default statefunModule({ functions: [counter, echo], egresses: [events, done] });

async function main(argv: readonly string[]): Promise<void> {
  const option = (name: string): string | undefined => {
    const at = argv.indexOf(name);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const server = await serve(statefunModule({ functions: [counter, echo] }), {
    port: Number(option("--port") ?? "8000"),
    host: option("--host") ?? "127.0.0.1",
  });
  console.log(`listening on ${server.url}`);
  const stop = (): void => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
