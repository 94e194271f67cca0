import type { StoredMessage } from "@statefun-ts/runtime/spi";
import { byteaArray, int4Array, int8Array, textArray } from "./arrays.js";

/** The 12 typed array parameters of the message columns, `$from` … `$from+11` (see `messageColumns`), for an `unnest`. */
export function messageArrays(from = 1): string {
  const types = ["bigint", "int", "text", "text", "text", "text", "text", "text", "text", "bytea", "bigint", "text"];
  return types.map((type, i) => `$${from + i}::${type}[]`).join(", ");
}

/** The 12 array parameters of `messageArrays` for `messages`. */
export function messageColumns(messages: readonly StoredMessage[]): Buffer[] {
  const n = messages.length;
  const seq = new Array<number>(n);
  const keyGroup = new Array<number>(n);
  const [ns, type, id] = [new Array<string>(n), new Array<string>(n), new Array<string>(n)];
  const [callerNs, callerType, callerId] = [
    new Array<string | undefined>(n),
    new Array<string | undefined>(n),
    new Array<string | undefined>(n),
  ];
  const typename = new Array<string>(n);
  const value = new Array<Uint8Array>(n);
  const dueAt = new Array<number | undefined>(n);
  const token = new Array<string | undefined>(n);
  for (let i = 0; i < n; i++) {
    const m = messages[i]!;
    seq[i] = m.seq;
    keyGroup[i] = m.keyGroup;
    ns[i] = m.target.namespace;
    type[i] = m.target.type;
    id[i] = m.target.id;
    callerNs[i] = m.caller?.namespace;
    callerType[i] = m.caller?.type;
    callerId[i] = m.caller?.id;
    typename[i] = m.argument.typename;
    value[i] = m.argument.value;
    dueAt[i] = m.dueAt;
    token[i] = m.cancellationToken;
  }
  return [
    int8Array(seq),
    int4Array(keyGroup),
    textArray(ns),
    textArray(type),
    textArray(id),
    textArray(callerNs),
    textArray(callerType),
    textArray(callerId),
    textArray(typename),
    byteaArray(value),
    int8Array(dueAt),
    textArray(token),
  ];
}
