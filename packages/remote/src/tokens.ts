/**
 * The cancellation token a remote function's delayed message is stored under. StateFun keeps
 * delayed messages, and the index of their cancellation tokens, in the keyed state of the id that
 * sent them (its operators are keyed by address id): a token names only the delayed messages of
 * the id that uses it, and every instance may use the same one. The runtime's tokens are global,
 * so a remote function's token is stored with the id of its sender; the prefix keeps it apart from
 * the tokens of embedded functions.
 *
 * @example
 * scopedToken("bob", "timeout") // "remote/3/bob/timeout"
 */
export function scopedToken(senderId: string, token: string): string {
  return `remote/${senderId.length}/${senderId}/${token}`;
}
