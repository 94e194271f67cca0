import { type Address, type Duration, formatAddress, StatefunError, type TypedValue, toMillis } from "@statefun-ts/protocol";
import type {
  EgressRef,
  ListSpec,
  MapSpec,
  StatefulFunction,
  StatefunModule,
  Type,
  TypedAddress,
  ValueOf,
  ValueSpec,
} from "@statefun-ts/sdk";
import { keyOfEntry, sortByName } from "@statefun-ts/sdk/internal";
import { Engine } from "./engine.js";
import { type DelayedMessage, type Invocation, type RecordedEgress, type RecordedMessage, recordedMessage } from "./recorded.js";
import { decodeEgress, mark, type Run, runSince } from "./run.js";

/**
 * Options of `send`.
 *
 * @example
 * await harness.send(stock.at("socks"), RequestItem, { quantity: 1 }, { caller: address("test/client", "1") });
 */
export interface SendOptions {
  /** The sender the function sees as `ctx.caller` (and replies to). Default: none. */
  readonly caller?: Address | undefined;
}

/**
 * An in-process runtime for unit tests: the functions run as in the real runtime (one
 * message at a time per address, FIFO per sender and receiver, effects all-or-nothing),
 * on a fake clock, with everything they did open to inspection. Create one with `testHarness`.
 *
 * @example
 * const harness = testHarness(greeterModule);
 * await harness.send(person.at("Bob"), GreetRequest, { name: "Bob" });
 * expect(harness.egress(greetings)).toEqual(["Welcome Bob!"]);
 */
export interface TestHarness {
  /**
   * Delivers a message to a function of the harness and runs until nothing is left to do
   * (delayed messages wait for `advance`). Rejects with the first failure, after running
   * everything else: a failed invocation's effects are discarded, as in the runtime.
   */
  send<X extends Type<any, string>>(
    to: TypedAddress<NoInfer<ValueOf<X>>, NoInfer<X>>,
    type: X,
    value: NoInfer<ValueOf<X>>,
    options?: SendOptions,
  ): Promise<Run>;
  /** `send` with raw bytes, e.g. JSON as an HTTP client would post it. */
  sendRaw(to: Address, argument: TypedValue, options?: SendOptions): Promise<Run>;
  /** Moves the fake clock forward, firing due delayed messages in due order, and runs until nothing is left to do. */
  advance(duration: Duration): Promise<Run>;
  /** The fake time: milliseconds since the harness started. */
  now(): number;
  /** The entries of a map state of an instance (unexpired ones), by key. */
  state<V, K extends string>(address: Address, spec: MapSpec<V, K>): Map<K, V>;
  /** The elements of a list state of an instance (unexpired ones), oldest first. */
  state<V>(address: Address, spec: ListSpec<V>): V[];
  /** A state value of an instance, or `undefined` when it has none (or it expired). */
  state<T>(address: Address, spec: ValueSpec<T>): T | undefined;
  /** Sets (or with `undefined`, clears) a state value before a test sends messages. */
  setState<T>(address: Address, spec: ValueSpec<T>, value: T | undefined): void;
  /** Every record emitted so far to an egress topic, decoded with its type. */
  egress<T>(ref: EgressRef<T>): T[];
  /** Every egress record so far, undecoded, with the instance that emitted it. */
  readonly egressRecords: readonly RecordedEgress[];
  /** Messages sent so far to addresses that are not functions of the harness. */
  readonly outbox: readonly RecordedMessage[];
  /** Every invocation so far, in order. */
  readonly invocations: readonly Invocation[];
  /** The invocations that failed, with their errors. */
  readonly deadLetters: readonly Invocation[];
  /** Delayed messages not fired yet, in due order. */
  readonly pending: readonly DelayedMessage[];
}

/**
 * Creates a test harness holding the given functions and modules.
 *
 * @example
 * import { testHarness } from "@statefun-ts/testing";
 *
 * const harness = testHarness(person, greeter);
 * const run = await harness.send(person.at("Bob"), GreetRequest, { name: "Bob" });
 * expect(run.egress(greetings)).toEqual(["Welcome Bob!"]);
 * expect(harness.state(person.at("Bob"), visits)).toBe(1);
 */
export function testHarness(...parts: Array<StatefulFunction<any, any> | StatefunModule>): TestHarness {
  const engine = new Engine();
  for (const part of parts) engine.register(part);
  let tail: Promise<unknown> = Promise.resolve();

  // One run at a time, even when a test does not await each call.
  const serially = (work: () => Promise<Run>): Promise<Run> => {
    const result = tail.then(work);
    tail = result.catch(() => undefined);
    return result;
  };

  const run = async (caller: Address | undefined, start: () => Promise<StatefunError[]>): Promise<Run> => {
    const since = mark(engine);
    const failures = await start();
    const first = failures[0];
    if (first !== undefined) throw first;
    return runSince(engine, since, caller);
  };

  const sendRaw = (to: Address, argument: TypedValue, options: SendOptions = {}): Promise<Run> =>
    serially(() =>
      run(options.caller, () => {
        if (engine.functionAt(to) === undefined) {
          const known = engine.functionTypes().join(", ") || "none";
          throw new StatefunError("STATEFUN_UNKNOWN_TYPE", `no function at ${formatAddress(to)} in this harness (it has: ${known})`);
        }
        engine.route(recordedMessage({ namespace: to.namespace, type: to.type, id: to.id }, options.caller, argument));
        return engine.quiesce();
      }),
    );

  return {
    // async: a value its type cannot serialize rejects like every other failure.
    send: async (to, type, value, options) => sendRaw(to, { typename: type.typename, value: type.serialize(value) }, options),
    sendRaw,
    advance: (duration) => serially(() => run(undefined, async () => engine.advanceTo(engine.now + toMillis(duration, "advance")))),
    now: () => engine.now,
    state(address: Address, spec: ValueSpec<unknown> | MapSpec<unknown> | ListSpec<unknown>): any {
      const read = (name: string, value: TypedValue) => {
        if (value.typename !== spec.type.typename) {
          const where = `state ${name} of ${formatAddress(address)}`;
          throw new StatefunError("STATEFUN_STATE_TYPE", `${where} holds a ${value.typename}, not a ${spec.type.typename}`);
        }
        return spec.type.deserialize(value.value);
      };
      if (spec.kind === "map" || spec.kind === "list") {
        const entries = sortByName(engine.state.entries(address, `${spec.name}[`, engine.now));
        const decoded = entries.map(([name, value]): [string, unknown] => [keyOfEntry(spec.name, name), read(name, value)]);
        return spec.kind === "map" ? new Map(decoded) : decoded.map(([, value]) => value);
      }
      const value = engine.state.read(address, spec.name, engine.now);
      return value === undefined ? undefined : read(spec.name, value);
    },
    setState(address, spec, value) {
      const bytes = value === undefined ? null : { typename: spec.type.typename, value: spec.type.serialize(value) };
      engine.state.write(address, spec.name, bytes, spec.expiration, engine.now);
    },
    egress: (ref) => decodeEgress(engine.egress, ref),
    get egressRecords() {
      return [...engine.egress];
    },
    get outbox() {
      return [...engine.outbox];
    },
    get invocations() {
      return [...engine.invocations];
    },
    get deadLetters() {
      return engine.invocations.filter((i) => i.error !== undefined);
    },
    get pending() {
      return engine.timers.pending;
    },
  };
}
