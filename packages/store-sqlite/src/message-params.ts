import type { StoredMessage } from "@statefun-ts/runtime/spi";

/** The bind parameters of one row of `MESSAGE_COLUMNS` (from the spi), in a multi-row insert. */
export const MESSAGE_PARAMS = "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?";

/** Pushes the 12 bind parameters of a message, in `MESSAGE_COLUMNS` order. */
export function pushMessage(params: unknown[], m: StoredMessage): void {
  const caller = m.caller;
  params.push(m.seq, m.keyGroup, m.target.namespace, m.target.type, m.target.id);
  if (caller === undefined) params.push(null, null, null);
  else params.push(caller.namespace, caller.type, caller.id);
  params.push(m.argument.typename, m.argument.value, m.dueAt ?? null, m.cancellationToken ?? null);
}
