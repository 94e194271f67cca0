import { type Address, formatAddress, StatefunError, sameAddress } from "@statefun-ts/protocol";
import type { EgressRef, Type } from "@statefun-ts/sdk";
import type { Engine } from "./engine.js";
import { decode, type Invocation, type RecordedEgress, type RecordedMessage } from "./recorded.js";

/**
 * What one `send` or `advance` did, from the moment it started until the functions of the
 * harness had nothing left to do.
 *
 * @example
 * const run = await harness.send(stock.at("socks"), RequestItem, { quantity: 1 }, { caller: client });
 * expect(run.reply(ItemAvailability)).toEqual({ status: "INSTOCK", quantity: 1 });
 * expect(run.invocations).toHaveLength(1);
 */
export interface Run {
  /** The invocations it ran, in order, failed ones included. */
  readonly invocations: readonly Invocation[];
  /** Messages it sent to addresses outside the harness (replies to an outside caller included). */
  readonly outbox: readonly RecordedMessage[];
  /** Messages sent to the `caller` given to `send`, whether or not that caller is in the harness. */
  readonly replies: readonly RecordedMessage[];
  /** Every egress record it emitted. */
  readonly egressRecords: readonly RecordedEgress[];
  /** The first reply to the caller, decoded as `type`; throws when there is none. */
  reply<T>(type: Type<T>): T;
  /** The records it emitted to an egress topic, decoded with the topic's type. */
  egress<T>(ref: EgressRef<T>): T[];
}

/** Positions in the engine's logs where a run started. */
export interface RunMark {
  readonly invocations: number;
  readonly sent: number;
  readonly outbox: number;
  readonly egress: number;
}

export function mark(engine: Engine): RunMark {
  return {
    invocations: engine.invocations.length,
    sent: engine.sent.length,
    outbox: engine.outbox.length,
    egress: engine.egress.length,
  };
}

export function runSince(engine: Engine, start: RunMark, caller: Address | undefined): Run {
  const egressRecords = engine.egress.slice(start.egress);
  const replies = caller === undefined ? [] : engine.sent.slice(start.sent).filter((m) => sameAddress(m.target, caller));
  return {
    invocations: engine.invocations.slice(start.invocations),
    outbox: engine.outbox.slice(start.outbox),
    replies,
    egressRecords,
    egress: (ref) => decodeEgress(egressRecords, ref),
    reply(type) {
      const first = replies[0];
      if (first === undefined) {
        const to = caller === undefined ? "no caller was given to send()" : `nothing was sent to ${formatAddress(caller)}`;
        throw new StatefunError("STATEFUN_BAD_MESSAGE", `no reply: ${to}`);
      }
      return first.as(type);
    },
  };
}

/** Decodes the records of one egress topic. */
export function decodeEgress<T>(records: readonly RecordedEgress[], ref: EgressRef<T>): T[] {
  return records
    .filter((r) => r.egress === ref.egress && r.topic === ref.topic)
    .map((r) => decode(r.argument, ref.type, `a record of egress topic ${ref.topic} (from ${formatAddress(r.from)})`));
}
