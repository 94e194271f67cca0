import type { StoredMessage } from "@statefun-ts/runtime/spi";
import type { Bulk } from "./bulk.js";

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

/** `pushMessage` into a `Bulk`'s row. */
export function putMessage(bulk: Bulk, m: StoredMessage): void {
  const caller = m.caller;
  bulk.put(m.seq);
  bulk.put(m.keyGroup);
  bulk.put(m.target.namespace);
  bulk.put(m.target.type);
  bulk.put(m.target.id);
  bulk.put(caller === undefined ? null : caller.namespace);
  bulk.put(caller === undefined ? null : caller.type);
  bulk.put(caller === undefined ? null : caller.id);
  bulk.put(m.argument.typename);
  bulk.put(m.argument.value);
  bulk.put(m.dueAt ?? null);
  bulk.put(m.cancellationToken ?? null);
  bulk.added();
}
