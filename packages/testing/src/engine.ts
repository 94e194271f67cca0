import { type Address, formatAddress, functionTypeOf, StatefunError } from "@statefun-ts/protocol";
import type { StatefulFunction, StatefunModule } from "@statefun-ts/sdk";
import { type Effects, specNameOf } from "@statefun-ts/sdk/internal";
import { DelayedQueue } from "./delayed-queue.js";
import { invoke } from "./invoke.js";
import { type Invocation, type RecordedEgress, type RecordedMessage, recordedMessage } from "./recorded.js";
import { StateStore } from "./state-store.js";

/** Invocations one `send` or `advance` may run before the harness calls it a message loop. */
export const MAX_INVOCATIONS_PER_RUN = 10_000;

/**
 * The harness's runtime: one FIFO queue, one invocation at a time (so one at a time per
 * address, and messages from one sender to one receiver in order), effects applied only
 * when a handler resolves.
 */
export class Engine {
  readonly invocations: Invocation[] = [];
  /** Every message a function sent (delayed ones when they fired), inside the harness or not. */
  readonly sent: RecordedMessage[] = [];
  readonly outbox: RecordedMessage[] = [];
  readonly egress: RecordedEgress[] = [];
  readonly state = new StateStore();
  readonly timers = new DelayedQueue();
  now = 0;
  private readonly functions = new Map<string, StatefulFunction<any, any>>();
  private readonly queue: RecordedMessage[] = [];

  register(part: StatefulFunction<any, any> | StatefunModule): void {
    for (const fn of "functions" in part ? part.functions : [part]) {
      if (this.functions.has(fn.typename)) throw new TypeError(`function ${fn.typename} is given to the harness twice`);
      this.functions.set(fn.typename, fn);
    }
  }

  functionAt(address: Address): StatefulFunction<any, any> | undefined {
    return this.functions.get(functionTypeOf(address));
  }

  functionTypes(): string[] {
    return [...this.functions.keys()];
  }

  /** Queues a message for a function of the harness; any other address gets it in the outbox. */
  route(message: RecordedMessage): void {
    if (this.functionAt(message.target)) this.queue.push(message);
    else this.outbox.push(message);
  }

  /** Delivers queued messages and delayed messages due by `now` until none is left; returns the failures. */
  async quiesce(): Promise<StatefunError[]> {
    const failures: StatefunError[] = [];
    for (let count = 0; ; count++) {
      if (count === MAX_INVOCATIONS_PER_RUN) {
        const last = this.invocations.at(-1);
        throw new StatefunError(
          "STATEFUN_FUNCTION_FAILED",
          `no quiescence after ${count} invocations (last: ${last ? formatAddress(last.target) : "none"}): do the functions send messages in a loop?`,
        );
      }
      const next = this.queue.shift();
      if (next !== undefined) {
        const failure = await this.deliver(next);
        if (failure) failures.push(failure);
        continue;
      }
      const due = this.timers.takeDue(this.now);
      if (due === undefined) return failures;
      this.sent.push(due);
      this.route(due);
    }
  }

  /** Moves the clock to `time`, firing delayed messages in due order, each at its own due time. */
  async advanceTo(time: number): Promise<StatefunError[]> {
    const failures = await this.quiesce();
    for (let due = this.timers.nextDueAt(); due !== undefined && due <= time; due = this.timers.nextDueAt()) {
      this.now = Math.max(this.now, due);
      failures.push(...(await this.quiesce()));
    }
    this.now = Math.max(this.now, time);
    return failures;
  }

  private async deliver(message: RecordedMessage): Promise<StatefunError | undefined> {
    const fn = this.functionAt(message.target);
    if (fn === undefined) throw new Error(`unreachable: no function at ${formatAddress(message.target)}`);
    const at = this.now;
    const outcome = await invoke(fn, message.target, message.caller, message.argument, {
      value: (name) => this.state.read(message.target, name, at),
      entries: (prefix) => this.state.entries(message.target, prefix, at),
    });
    if (!outcome.ok) {
      this.invocations.push({ ...message, at, error: outcome.error });
      return outcome.error;
    }
    this.invocations.push({ ...message, at });
    this.apply(fn, message.target, outcome.effects);
    return undefined;
  }

  private apply(fn: StatefulFunction<any, any>, self: Address, effects: Effects): void {
    this.state.touch(self, this.now);
    for (const [name, value] of effects.state) {
      // Entries of map and list states (`name[key]`) expire as their state `name` says.
      this.state.write(self, name, value, fn.specs.get(specNameOf(name))?.expiration ?? { mode: "none" }, this.now);
    }
    for (const { target, argument } of effects.messages) {
      const sent = recordedMessage(target, self, argument);
      this.sent.push(sent);
      this.route(sent);
    }
    for (const delayed of effects.delayed) {
      if (delayed.kind === "cancel") {
        this.timers.cancel(delayed.cancellationToken);
        continue;
      }
      const { target, argument, delayMs, cancellationToken } = delayed;
      this.timers.schedule({ ...recordedMessage(target, self, argument), dueAt: this.now + delayMs, cancellationToken });
    }
    for (const record of effects.egress) this.egress.push({ ...record, from: self, at: this.now });
  }
}
