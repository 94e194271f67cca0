import { type Effects, keyGroupOf } from "@statefun-ts/protocol";
import { INGRESS_CALLER_NAMESPACE, INGRESS_CALLER_TYPE } from "../api.js";
import type { StateSpecInfo } from "../binding.js";
import type { EgressRow, ReplyRow, StateDrop, StateEntry, StateWrite, StoredMessage } from "../store/types.js";
import { type CommitUnit, EMPTY, type NewMessage } from "./commit-unit.js";
import { instanceRowWrite } from "./instance-ttl.js";
import type { Mailbox } from "./mailbox.js";

/** What the engine must do in memory, at once, for the cancellations of an invocation. */
export type Cancellation = (token: string) => void;

/**
 * Turns the effects of a successful invocation into a commit unit, and applies its state
 * writes to the mailbox's state so that the next invocation of this address sees them.
 */
export function effectsToUnit(
  mb: Mailbox,
  consumed: readonly StoredMessage[],
  effects: Effects,
  specs: readonly StateSpecInfo[],
  keyGroups: number,
  now: number,
  cancel: Cancellation,
  instanceTtlMs?: number | undefined,
): Omit<CommitUnit, "committed" | "failed"> {
  const sent = effects.messages;
  // Sized once for the common case (no reply to an ingress caller, no delayed message).
  const messages: NewMessage[] = sent.length === 0 && effects.delayed.length === 0 ? [] : new Array(sent.length);
  let count = 0;
  let replies: ReplyRow[] | undefined;
  const self = mb.address;
  for (let i = 0; i < sent.length; i++) {
    const m = sent[i]!;
    if (m.target.namespace === INGRESS_CALLER_NAMESPACE && m.target.type === INGRESS_CALLER_TYPE) {
      replies ??= [];
      replies.push({ requestId: m.target.id, argument: m.argument });
    } else {
      messages[count++] = { seq: 0, keyGroup: keyGroupOf(m.target.id, keyGroups), target: m.target, caller: self, argument: m.argument };
    }
  }
  if (count < messages.length) messages.length = count;
  let cancelTokens: string[] | undefined;
  for (const d of effects.delayed) {
    if (d.kind === "cancel") {
      // Earlier sends of this invocation with the token are cancelled too.
      for (let i = messages.length - 1; i >= 0; i--) {
        const m = messages[i]!;
        if (m.dueAt !== undefined && m.cancellationToken === d.cancellationToken) messages.splice(i, 1);
      }
      cancelTokens ??= [];
      cancelTokens.push(d.cancellationToken);
      cancel(d.cancellationToken);
    } else {
      messages.push({
        seq: 0,
        keyGroup: keyGroupOf(d.target.id, keyGroups),
        target: d.target,
        caller: self,
        argument: d.argument,
        dueAt: now + d.delayMs,
        cancellationToken: d.cancellationToken,
      });
    }
  }
  const egress: readonly Omit<EgressRow, "id">[] =
    effects.egress.length === 0
      ? EMPTY
      : effects.egress.map((e) => ({ egress: e.egress, topic: e.topic, argument: e.argument, createdAt: now }));
  // An expired instance started over: its old rows go before anything is written.
  const drops: readonly StateDrop[] = mb.cleared ? [{ address: self, keyGroup: mb.keyGroup }] : EMPTY;
  mb.cleared = false;
  const instanceRow = instanceRowWrite(mb, instanceTtlMs, now);
  return {
    touchedKeyGroups: mb.keyGroups,
    consumed: consumed.length === 1 ? [consumed[0]!.seq] : consumed.map((m) => m.seq),
    messages,
    cancelTokens: cancelTokens ?? EMPTY,
    drops,
    state:
      effects.state.size === 0 && instanceRow === undefined && !hasAfterCall(specs)
        ? EMPTY
        : applyState(mb, effects, specs, now, instanceRow),
    egress,
    replies: replies ?? EMPTY,
    deadLetters: EMPTY,
    replayed: EMPTY,
    // Set as the unit is enqueued (see `Dispatcher.consume`); here for every unit to have one shape.
    unsequenced: undefined,
    delivered: undefined,
    mailbox: mb,
  };
}

function hasAfterCall(specs: readonly StateSpecInfo[]): boolean {
  for (const spec of specs) if (spec.expiration.mode === "after-call") return true;
  return false;
}

/** The spec of a stored state name: a map or list entry `name[key]` has the spec of `name`. */
function specOf(specs: readonly StateSpecInfo[], stored: string): StateSpecInfo | undefined {
  const bracket = stored.indexOf("[");
  const name = bracket < 0 ? stored : stored.slice(0, bracket);
  for (const spec of specs) if (spec.name === name) return spec;
  return undefined;
}

function applyState(
  mb: Mailbox,
  effects: Effects,
  specs: readonly StateSpecInfo[],
  now: number,
  instanceRow: StateWrite | undefined,
): StateWrite[] {
  // Sized for the usual writes, filled in order; an expire-after-call touch appends.
  const writes: StateWrite[] = new Array(effects.state.size + (instanceRow === undefined ? 0 : 1));
  let n = 0;
  if (instanceRow !== undefined) writes[n++] = cache(mb, instanceRow);
  for (const [name, value] of effects.state) {
    const spec = specs.length === 0 ? undefined : specOf(specs, name);
    // A write is also an invocation: both expiry modes count from now.
    const expiresAt = spec && spec.expiration.mode !== "none" ? now + spec.expiration.millis : undefined;
    writes[n++] = cache(mb, { address: mb.address, keyGroup: mb.keyGroup, name, value, expiresAt });
  }
  // Expire-after-call values (and every entry of such a map or list state) live on for as long
  // again after every invocation.
  for (const spec of specs) {
    if (spec.expiration.mode !== "after-call") continue;
    const expiresAt = now + spec.expiration.millis;
    const value = mb.value(spec.name, now);
    if (value !== undefined && !effects.state.has(spec.name)) {
      writes[n++] = cache(mb, { address: mb.address, keyGroup: mb.keyGroup, name: spec.name, value, expiresAt });
    }
    for (const [name, entry] of mb.entries(`${spec.name}[`, now)) {
      if (!effects.state.has(name)) writes[n++] = cache(mb, { address: mb.address, keyGroup: mb.keyGroup, name, value: entry, expiresAt });
    }
  }
  return writes;
}

/** Applies a write to the mailbox's cached state, and returns it. */
function cache(mb: Mailbox, w: StateWrite): StateWrite {
  // Through the mailbox, so that the cache's byte count follows the write. A write of a value is
  // a `StateEntry` too (name, value, expiry): the cache holds the write itself, no copy of it.
  mb.put(w.name, w.value === null ? undefined : (w as StateEntry));
  return w;
}
