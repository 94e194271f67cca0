import { StatefunError, type TypedValue } from "@statefun-ts/protocol";
import type { AskSession } from "./asks.js";
import { isCall, makeReplyTo, type ReplyTo } from "./call.js";
import type { Context, InvocationContext } from "./context.js";
import type { Effects } from "./effects.js";
import {
  AnswerEnvelopeType,
  ASK_ANSWER,
  ASK_REQUEST,
  ASK_TIMEOUT,
  fromBase64,
  RequestEnvelopeType,
  TimeoutEnvelopeType,
} from "./envelopes.js";
import { type Message, message } from "./message.js";
import { errorText, type Type } from "./types.js";

/** How one accepted type is handled: its decoded value goes to `run`; a defined result answers the call. */
export interface Route {
  readonly type: Type<any, string>;
  readonly run: (ctx: InvocationContext<any, any>, message: Message<any>, value: unknown, replyTo: ReplyTo<unknown> | undefined) => unknown;
}

/** A function's handler as the hosts call it, and every type it accepts on the wire. */
export interface Dispatch {
  readonly accepts: readonly Type<any, string>[];
  readonly handler: (ctx: Context<any, any>, message: Message<any>) => void | Promise<void>;
}

/**
 * The handler of a function: checks every message against its declared type before user
 * code runs (bytes that do not decode are rejected with a terminal `STATEFUN_BAD_MESSAGE`
 * naming the function, the type and what is wrong), routes it, and runs the ask protocol:
 * requests from `ctx.ask` are answered (with an error answer when rejected), answers and
 * timeouts go to the asker's reply handlers.
 */
export function dispatch(functionType: string, routes: ReadonlyMap<string, Route>, session: AskSession | undefined): Dispatch {
  const answersCalls = [...routes.values()].some((r) => isCall(r.type));
  const accepts: Type<any, string>[] = [...routes.values()].map((r) => r.type);
  if (answersCalls) accepts.push(RequestEnvelopeType);
  if (session) accepts.push(AnswerEnvelopeType, TimeoutEnvelopeType);

  const decode = (m: Message<any>, type: Type<any, string>): unknown => {
    try {
      return m.as(type);
    } catch (cause) {
      if (!StatefunError.is(cause) || cause.code !== "STATEFUN_BAD_MESSAGE") throw cause;
      throw new StatefunError("STATEFUN_BAD_MESSAGE", `${functionType} rejects a ${type.typename} message: ${cause.message}`, { cause });
    }
  };

  const route = (typename: string): Route => {
    const found = routes.get(typename);
    if (found !== undefined) return found;
    const known = accepts.map((t) => t.typename).join(", ");
    throw new StatefunError("STATEFUN_BAD_MESSAGE", `${functionType} does not accept messages of type ${typename} (it accepts ${known})`);
  };

  // Synchronous unless the user's handler is: no promise on the hot path of a plain message.
  const plain = (ctx: InvocationContext<any, any>, m: Message<any>): void | Promise<void> => {
    const r = route(m.typename);
    const value = decode(m, r.type);
    if (!isCall(r.type)) {
      const done = r.run(ctx, m, value, undefined);
      return done instanceof Promise ? done.then(() => undefined) : undefined;
    }
    const replyTo = makeReplyTo(ctx.caller, undefined, r.type.reply);
    const answer = (result: unknown) => {
      if (result !== undefined) ctx.answer(replyTo, result);
    };
    const result = r.run(ctx, m, value, replyTo);
    return result instanceof Promise ? result.then(answer) : answer(result);
  };

  const asked = async (ctx: InvocationContext<any, any>, envelopeMessage: Message<any>): Promise<void> => {
    const envelope = decode(envelopeMessage, RequestEnvelopeType) as { id: string; typename: string; value: string };
    const caller = ctx.caller;
    if (caller === undefined)
      throw new StatefunError("STATEFUN_BAD_MESSAGE", `${functionType} got an ask (${envelope.typename}) without a caller`);
    const fail = (error: StatefunError) =>
      ctx.send(caller, AnswerEnvelopeType, { id: envelope.id, error: { code: error.code, message: error.message } });
    const before = snapshot(ctx.effects);
    try {
      const r = route(envelope.typename);
      if (!isCall(r.type))
        throw new StatefunError("STATEFUN_BAD_MESSAGE", `${functionType} accepts ${envelope.typename}, but not as a call`);
      const inner: TypedValue = { typename: envelope.typename, value: fromBase64(envelope.value, `the ${envelope.typename} request`) };
      const m = message(inner);
      const value = decode(m, r.type);
      const replyTo = makeReplyTo(caller, envelope.id, r.type.reply);
      ctx.askReplyTo = replyTo;
      const result = await r.run(ctx, m, value, replyTo);
      if (result !== undefined) ctx.answer(replyTo, result);
    } catch (cause) {
      // A terminal error answers the asker (who then needs no timeout); a retryable one is retried.
      if (!StatefunError.is(cause) || !cause.terminal) throw cause;
      restore(ctx.effects, before);
      fail(new StatefunError(cause.code, `${functionType} (asked ${envelope.typename}): ${errorText(cause)}`, { cause }));
    }
  };

  const handler = (context: Context<any, any>, m: Message<any>): void | Promise<void> => {
    const ctx = context as InvocationContext<any, any>;
    ctx.asker = session;
    if (m.typename === ASK_REQUEST && answersCalls) return asked(ctx, m);
    if (m.typename === ASK_ANSWER && session) return session.onAnswer(ctx, decode(m, AnswerEnvelopeType) as never);
    if (m.typename === ASK_TIMEOUT && session) return session.onTimeout(ctx, (decode(m, TimeoutEnvelopeType) as { id: string }).id);
    return plain(ctx, m);
  };
  return { accepts, handler };
}

interface EffectsMark {
  readonly messages: number;
  readonly delayed: number;
  readonly egress: number;
  readonly state: Map<string, TypedValue | null>;
}

function snapshot(e: Effects): EffectsMark {
  return { messages: e.messages.length, delayed: e.delayed.length, egress: e.egress.length, state: new Map(e.state) };
}

function restore(e: Effects, mark: EffectsMark): void {
  e.messages.length = mark.messages;
  e.delayed.length = mark.delayed;
  e.egress.length = mark.egress;
  e.state.clear();
  for (const [name, value] of mark.state) e.state.set(name, value);
}
