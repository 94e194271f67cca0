import { createHash } from "node:crypto";
import { type Address, StatefunError, type TypedValue } from "@statefun-ts/protocol";
import type { IdempotencyKeys } from "./store/idempotency-keys.js";

/** An ingress request's idempotency key as stored: scoped by its target, with what the request was. */
export interface StoredIdempotency {
  readonly key: string;
  readonly fingerprint: string;
}

/**
 * The stored form of an ingress request's `Idempotency-Key`: scoped by the target address (the
 * same key sent to two addresses is two requests), with a fingerprint of the target, the
 * message type and a hash of the body, to tell a retry from another request reusing the key.
 */
export function storedIdempotency(target: Address, argument: TypedValue, key: string | undefined): StoredIdempotency | undefined {
  if (key === undefined) return undefined;
  const address = [target.namespace, target.type, target.id];
  const hash = createHash("sha256")
    .update(JSON.stringify([...address, argument.typename]))
    .update("\n")
    .update(argument.value);
  return { key: JSON.stringify([...address, key]), fingerprint: hash.digest("base64url") };
}

/**
 * Throws `STATEFUN_IDEMPOTENCY_CONFLICT` (terminal) unless the request whose key was known
 * (`duplicateOf`) is the same request: same target, message type and body. A key stored
 * without a fingerprint (before fingerprints were kept) counts as the same request.
 */
export async function checkSameRequest(
  store: IdempotencyKeys,
  stored: StoredIdempotency,
  request: { readonly target: Address; readonly key: string; readonly duplicateOf: string },
): Promise<void> {
  const known = await store.idempotencyFingerprint(stored.key);
  if (known === undefined || known === stored.fingerprint) return;
  const { namespace, type, id } = request.target;
  throw new StatefunError(
    "STATEFUN_IDEMPOTENCY_CONFLICT",
    `Idempotency-Key ${JSON.stringify(request.key)} already stands for another request to ${namespace}/${type}/${id} (request ${request.duplicateOf}, with another message type or body); a new request needs a new key`,
  );
}
