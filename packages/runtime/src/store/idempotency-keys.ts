/** Idempotency keys of ingress requests, read back to tell a retry from another request reusing a key. */
export interface IdempotencyKeys {
  /**
   * The fingerprint stored with idempotency key `key` by the commit that recorded it
   * (`IngressMessage.fingerprint`); undefined when the key is unknown or was stored without one.
   */
  idempotencyFingerprint(key: string): Promise<string | undefined>;
}
