/** A value on the wire: its type name and its bytes. The runtime never interprets the bytes. */
export interface TypedValue {
  readonly typename: string;
  readonly value: Uint8Array;
}
