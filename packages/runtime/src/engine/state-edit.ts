import { StatefunError, type TypedValue } from "@statefun-ts/protocol";
import type { Effects } from "@statefun-ts/sdk/internal";
import { emptyEffects } from "@statefun-ts/sdk/internal";
import { INGRESS_CALLER_NAMESPACE, INGRESS_CALLER_TYPE } from "../api.js";
import type { StoredMessage } from "../store/types.js";

/**
 * The type of a message that edits an instance's state (the admin API's `PUT`/`DELETE
 * /v1/state/…`). It is committed to the instance's inbox like any message, so it is applied in
 * the instance's order, between two invocations, and its write goes through the commit pipeline
 * as an invocation's would: it never races one. The function never sees it.
 */
export const STATE_EDIT_TYPENAME = "statefun-ts.admin/StateEdit";
/** The reply an edit sends to the caller waiting for it, once committed. */
export const STATE_EDITED_TYPENAME = "statefun-ts.admin/StateEdited";

/** A new value for one state name, or its deletion (`value: null`). */
export interface StateEdit {
  readonly name: string;
  readonly value: TypedValue | null;
}

interface EditJson {
  name: string;
  typename?: string;
  value?: string; // base64
}

export function encodeStateEdit(edit: StateEdit): TypedValue {
  const json: EditJson =
    edit.value === null
      ? { name: edit.name }
      : { name: edit.name, typename: edit.value.typename, value: Buffer.from(edit.value.value).toString("base64") };
  return { typename: STATE_EDIT_TYPENAME, value: new TextEncoder().encode(JSON.stringify(json)) };
}

export function isStateEdit(m: StoredMessage): boolean {
  return m.argument.typename === STATE_EDIT_TYPENAME;
}

/** The messages of a batch before the first edit (an edit runs alone, never inside a function's batch). */
export function beforeEdit(batch: StoredMessage[]): StoredMessage[] {
  const at = batch.findIndex(isStateEdit);
  return at <= 0 ? batch : batch.slice(0, at);
}

/** The effects of an edit message: the one state change, and the reply to a caller waiting for it. */
export function stateEditEffects(m: StoredMessage): Effects {
  const json = decode(m);
  const effects = emptyEffects();
  effects.state.set(
    json.name,
    json.typename === undefined ? null : { typename: json.typename, value: new Uint8Array(Buffer.from(json.value ?? "", "base64")) },
  );
  const caller = m.caller;
  if (caller?.namespace === INGRESS_CALLER_NAMESPACE && caller.type === INGRESS_CALLER_TYPE) {
    effects.messages.push({ target: caller, argument: { typename: STATE_EDITED_TYPENAME, value: new Uint8Array(0) } });
  }
  return effects;
}

function decode(m: StoredMessage): EditJson {
  try {
    const json = JSON.parse(new TextDecoder().decode(m.argument.value)) as EditJson;
    if (typeof json.name === "string") return json;
  } catch {}
  throw new StatefunError(
    "STATEFUN_BAD_MESSAGE",
    `a ${STATE_EDIT_TYPENAME} message to ${m.target.namespace}/${m.target.type}/${m.target.id} is malformed`,
  );
}
