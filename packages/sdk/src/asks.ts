import { type Address, type Duration, type ErrorCode, formatAddress, StatefunError, toMillis } from "@statefun-ts/protocol";
import type { Answer, AskDeclaration, AskSpecs } from "./ask-types.js";
import type { Call } from "./call.js";
import { ValueCell } from "./cells.js";
import type { Asker, InvocationContext } from "./context.js";
import { type AnswerEnvelope, fromBase64, RequestEnvelopeType, TimeoutEnvelopeType, toBase64 } from "./envelopes.js";
import { valueSpec } from "./state.js";
import { jsonType, type Type } from "./types.js";

/** One ask waiting for its answer, kept in the asker's state (so it commits with the invocation that asked). */
interface PendingAsk {
  readonly label: string;
  /** The asked address, for error messages. */
  readonly to: string;
  readonly token?: string;
  readonly timeoutMs?: number;
  /** The ask's context, base64 bytes of its declared type. */
  readonly context?: string;
}

type PendingAsks = Record<string, PendingAsk>;

/** The state name of the pending asks of a function that declares asks (a plain value: works for remote functions too). */
export const PENDING_ASKS = "_statefun_asks";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
export const pendingAsksSpec = valueSpec(
  PENDING_ASKS,
  jsonType<PendingAsks>("statefun-ts.ask/Pending", {
    schema: (v): v is PendingAsks => isObject(v) && Object.values(v).every((p) => isObject(p) && typeof p.label === "string"),
  }),
);

/** A reply handler, untyped: the dispatcher has checked the labels. */
export type ReplyHandler = (ctx: InvocationContext<any, any>, answer: Answer<unknown>, context: unknown) => void | Promise<void>;

function callOf(decl: AskDeclaration): Call<unknown, unknown> {
  return "call" in decl ? decl.call : decl;
}

function contextTypeOf(decl: AskDeclaration): Type<unknown> | undefined {
  return "call" in decl ? decl.context : undefined;
}

/** `ctx.ask` and the handling of answers and timeouts, for one function type. */
export class AskSession implements Asker {
  constructor(
    private readonly functionType: string,
    private readonly asks: AskSpecs,
    private readonly replies: Readonly<Record<string, ReplyHandler>>,
  ) {}

  ask(
    ctx: InvocationContext<any, any>,
    label: string,
    to: Address,
    request: unknown,
    options: { timeout?: Duration; context?: unknown },
  ): string {
    const decl = this.asks[label];
    if (decl === undefined)
      throw new StatefunError("STATEFUN_BAD_CONFIG", `${this.functionType}: ask(${JSON.stringify(label)}) is not declared in asks`);
    const call = callOf(decl);
    const id = globalThis.crypto.randomUUID();
    ctx.send(to, RequestEnvelopeType, { id, typename: call.typename, value: toBase64(call.serialize(request)) });
    let pending: PendingAsk = { label, to: formatAddress(to) };
    const contextType = contextTypeOf(decl);
    if (contextType !== undefined && options.context === undefined) {
      throw new StatefunError("STATEFUN_BAD_CONFIG", `${this.functionType}: ask(${label}) declares a context: give it in the options`);
    }
    if (contextType !== undefined) pending = { ...pending, context: toBase64(contextType.serialize(options.context)) };
    if (options.timeout !== undefined) {
      const timeoutMs = toMillis(options.timeout, `${this.functionType}: ask(${label}) timeout`);
      const token = `statefun-ts.ask:${id}`;
      ctx.sendAfter(timeoutMs, ctx.self, TimeoutEnvelopeType, { id }, { cancellationToken: token });
      pending = { ...pending, token, timeoutMs };
    }
    const cell = this.cell(ctx);
    cell.set({ ...cell.get(), [id]: pending });
    return id;
  }

  /** An answer came: the reply handler runs, unless the ask is no longer pending (it timed out): then it is ignored. */
  async onAnswer(ctx: InvocationContext<any, any>, envelope: AnswerEnvelope): Promise<void> {
    const pending = this.take(ctx, envelope.id);
    if (pending === undefined) return;
    if (pending.token !== undefined) ctx.cancelDelayed(pending.token);
    const call = callOf(this.declaration(pending.label));
    const where = `${this.functionType}: the answer from ${pending.to} to ask ${pending.label}`;
    let answer: Answer<unknown>;
    if (envelope.error !== undefined) {
      const code = (envelope.error.code.startsWith("STATEFUN_") ? envelope.error.code : "STATEFUN_FUNCTION_FAILED") as ErrorCode;
      answer = { ok: false, error: new StatefunError(code, envelope.error.message) };
    } else {
      try {
        if (envelope.typename !== call.reply.typename) {
          throw new StatefunError("STATEFUN_BAD_MESSAGE", `it is a ${envelope.typename}, not a ${call.reply.typename}`);
        }
        answer = { ok: true, value: call.reply.deserialize(fromBase64(envelope.value ?? "", where)) };
      } catch (cause) {
        if (!StatefunError.is(cause) || !cause.terminal) throw cause;
        answer = { ok: false, error: new StatefunError("STATEFUN_BAD_MESSAGE", `${where} is rejected: ${cause.message}`, { cause }) };
      }
    }
    await this.deliver(ctx, pending, answer);
  }

  /** The timeout of an ask fired: the reply handler gets a `STATEFUN_TIMEOUT` error, unless the answer came first. */
  async onTimeout(ctx: InvocationContext<any, any>, id: string): Promise<void> {
    const pending = this.take(ctx, id);
    if (pending === undefined) return;
    const error = new StatefunError(
      "STATEFUN_TIMEOUT",
      `${this.functionType}: no answer from ${pending.to} to ask ${pending.label} within ${pending.timeoutMs} ms`,
    );
    await this.deliver(ctx, pending, { ok: false, error });
  }

  private async deliver(ctx: InvocationContext<any, any>, pending: PendingAsk, answer: Answer<unknown>): Promise<void> {
    const contextType = contextTypeOf(this.declaration(pending.label));
    const context =
      contextType !== undefined && pending.context !== undefined
        ? contextType.deserialize(fromBase64(pending.context, `the context of ask ${pending.label}`))
        : undefined;
    const handler = this.replies[pending.label];
    if (handler === undefined)
      throw new StatefunError("STATEFUN_BAD_CONFIG", `${this.functionType}: no reply handler for ask ${pending.label}`);
    await handler(ctx, answer, context);
  }

  private declaration(label: string): AskDeclaration {
    const decl = this.asks[label];
    if (decl === undefined) {
      throw new StatefunError(
        "STATEFUN_BAD_CONFIG",
        `${this.functionType}: a pending ask is labelled ${label}, which it no longer declares`,
      );
    }
    return decl;
  }

  /** Removes a pending ask from the state and returns it; `undefined` when it is not pending. */
  private take(ctx: InvocationContext<any, any>, id: string): PendingAsk | undefined {
    const cell = this.cell(ctx);
    const all = cell.get() ?? {};
    const pending = all[id];
    if (pending === undefined) return undefined;
    const rest = { ...all };
    delete rest[id];
    if (Object.keys(rest).length === 0) cell.clear();
    else cell.set(rest);
    return pending;
  }

  private cell(ctx: InvocationContext<any, any>): ValueCell<PendingAsks> {
    return new ValueCell(pendingAsksSpec, ctx.effects, ctx.reader);
  }
}
